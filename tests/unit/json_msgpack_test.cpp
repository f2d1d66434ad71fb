// The CLI's arguments as JSON, and JSON to MessagePack and back
// (common/json_msgpack.hpp).
#include "common/json_msgpack.hpp"

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <cstdint>

namespace rpclb {
namespace {

TEST(CliArguments, JsonWhenItParsesElseString) {
  EXPECT_EQ(parse_cli_argument("42"), nlohmann::json(42));
  EXPECT_EQ(parse_cli_argument("-1.5"), nlohmann::json(-1.5));
  EXPECT_EQ(parse_cli_argument("{\"a\":[1,null]}"), nlohmann::json::parse("{\"a\":[1,null]}"));
  EXPECT_EQ(parse_cli_argument("\"quoted\""), nlohmann::json("quoted"));
  EXPECT_EQ(parse_cli_argument("hello world"), nlohmann::json("hello world"));
  EXPECT_EQ(parse_cli_argument("{broken"), nlohmann::json("{broken"));
}

// 64-bit integers arrive exactly; a number JSON cannot carry exactly arrives
// as the string typed, at any depth.
TEST(CliArguments, NumbersArriveExactlyOrAsTyped) {
  EXPECT_EQ(parse_cli_argument("18446744073709551615"), nlohmann::json(UINT64_MAX));
  EXPECT_EQ(parse_cli_argument("-9223372036854775808"), nlohmann::json(INT64_MIN));
  EXPECT_EQ(parse_cli_argument("99999999999999999999"), nlohmann::json("99999999999999999999"));
  EXPECT_EQ(parse_cli_argument("1.50"), nlohmann::json("1.50"));
  EXPECT_EQ(parse_cli_argument("1e2"), nlohmann::json("1e2"));
  EXPECT_EQ(parse_cli_argument("1e400"), nlohmann::json("1e400"));
  EXPECT_EQ(parse_cli_argument("-0"), nlohmann::json("-0"));
  EXPECT_EQ(parse_cli_argument("0.1"), nlohmann::json(0.1));
  EXPECT_EQ(parse_cli_argument("[1.50,{\"a\":99999999999999999999}]"),
            nlohmann::json::parse("[\"1.50\",{\"a\":\"99999999999999999999\"}]"));
}

TEST(CliArguments, JsonSurvivesAMessagePackRoundTrip) {
  const auto value = nlohmann::json::parse(R"([1,-2,3.5,"s",true,null,{"k":[{}]}])");
  auto back = msgpack_to_json(json_to_msgpack(value));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, value);
}

// JSON object keys are strings: other MessagePack keys are written as text,
// and an array or map key as the hex of its bytes, so that nested keys cost
// linear time (their JSON, escaped again at each level, doubled each time).
TEST(CliArguments, NonStringMapKeysBecomeTextInLinearTime) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  out.pack_map(2);
  out.pack_int(7);
  out.pack_true();
  out.pack_array(1);
  out.pack_int(1);
  out.pack_nil();
  auto flat = msgpack_to_json(std::string(buffer.data(), buffer.size()));
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(*flat, nlohmann::json::parse(R"({"7": true, "msgpack:9101": null})"));

  // 40 maps, each the key of the next: 2^40 backslashes the old way.
  std::string nested;
  for (int i = 0; i < 40; ++i) nested += '\x81';
  nested += '\xc0';                               // the innermost key, nil
  for (int i = 0; i < 40; ++i) nested += '\xc0';  // each map's value
  auto deep = msgpack_to_json(nested);
  ASSERT_TRUE(deep.ok());
  EXPECT_LT(deep->dump().size(), std::size_t{10000});
}

}  // namespace
}  // namespace rpclb
