#include "rpclb/payload_msgpack.hpp"

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <vector>

namespace rpclb {
namespace {

TEST(Payload, ArgsPackAnArrayThatReadsBackAsATuple) {
  const auto packed = args(1, "two", 3.5, true);
  EXPECT_EQ(packed.json(), R"([1,"two",3.5,true])");
  auto back = packed.as<std::tuple<int, std::string, double, bool>>();
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, std::make_tuple(1, std::string("two"), 3.5, true));
  EXPECT_EQ(args().json(), "[]");
}

TEST(Payload, DefaultIsNilAndValuesRoundTripThroughJson) {
  EXPECT_EQ(Payload().json(), "null");
  auto parsed = Payload::from_json(R"({"ids":[1,2,3]})");
  ASSERT_TRUE(parsed);
  auto map = parsed->as<std::map<std::string, std::vector<int>>>();
  ASSERT_TRUE(map);
  EXPECT_EQ(map->at("ids"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(Payload::of(std::map<std::string, std::vector<int>>{{"ids", {1, 2, 3}}}), *parsed);
}

TEST(Payload, RefusesWhatItCannotHoldOrConvert) {
  EXPECT_EQ(Payload::from_json("{not json").error().code, ErrorCode::bad_request);
  EXPECT_EQ(Payload::from_msgpack("").error().code, ErrorCode::bad_request);
  EXPECT_EQ(Payload::from_msgpack("\x01\x02").error().code, ErrorCode::bad_request);  // two values
  EXPECT_EQ(Payload::from_msgpack("\xdc\xff").error().code, ErrorCode::bad_request);  // truncated array
  auto wrong = Payload::of("text").as<int>();
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::bad_request);
  EXPECT_NE(wrong.error().message.find("\"text\""), std::string::npos) << wrong.error().message;
  auto bytes = Payload::from_msgpack(std::string("\x93\x01\x02\x03", 4));
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->json(), "[1,2,3]");
}

}  // namespace
}  // namespace rpclb
