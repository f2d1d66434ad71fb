#include "common/endpoint.hpp"

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include "common/json_msgpack.hpp"
#include "common/route.hpp"

namespace rpclb {
namespace {

TEST(BusAddress, TcpUsesThreeConsecutivePorts) {
  auto address = bus_address("tcp://127.0.0.1:7400");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->snapshot, "tcp://127.0.0.1:7400");
  EXPECT_EQ(address->announce, "tcp://127.0.0.1:7401");
  EXPECT_EQ(address->updates, "tcp://127.0.0.1:7402");
}

TEST(BusAddress, IpcUsesSuffixes) {
  auto address = bus_address("ipc:///run/rpclb/bus");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->announce, "ipc:///run/rpclb/bus.announce");
  EXPECT_EQ(address->updates, "ipc:///run/rpclb/bus.updates");
}

TEST(BusAddress, RejectsWhatCannotWork) {
  for (const auto& bad : {"127.0.0.1:7400", "tcp://127.0.0.1", "tcp://127.0.0.1:65534", "tcp://h:0", "tcp://h:x",
                          "ipc://", "udp://h:1"}) {
    auto address = bus_address(bad);
    ASSERT_FALSE(address.ok()) << bad;
    EXPECT_EQ(address.error().code, ErrorCode::bad_request);
  }
}

TEST(Endpoint, WildcardsOnlyWhereTheyMakeSense) {
  EXPECT_TRUE(validate_endpoint("tcp://127.0.0.1:*", true).ok());
  EXPECT_FALSE(validate_endpoint("tcp://127.0.0.1:*", false).ok());
  EXPECT_FALSE(validate_endpoint("tcp://*:5000", false).ok());
  EXPECT_TRUE(validate_endpoint("tcp://*:5000", true).ok());
}

TEST(Endpoint, Ipv6HostsGoInBrackets) {
  auto address = bus_address("tcp://[fd00::5]:7400");
  ASSERT_TRUE(address.ok()) << address.error().message;
  EXPECT_EQ(address->snapshot, "tcp://[fd00::5]:7400");
  EXPECT_EQ(address->announce, "tcp://[fd00::5]:7401");
  EXPECT_EQ(address->updates, "tcp://[fd00::5]:7402");
  auto loopback = tcp_endpoint("tcp://[::1]:47900");
  ASSERT_TRUE(loopback.ok());
  EXPECT_EQ(loopback->host, "[::1]");
  EXPECT_EQ(loopback->port, "47900");
  EXPECT_TRUE(validate_endpoint("tcp://[::]:*", true).ok());
  EXPECT_TRUE(validate_endpoint("tcp://[::ffff:10.0.0.5]:7400", false).ok());
  EXPECT_TRUE(validate_endpoint("tcp://[2001:db8::a:b]:1", false).ok());
  EXPECT_TRUE(is_ipv6_host("[::1]"));
  EXPECT_FALSE(is_ipv6_host("127.0.0.1"));
  EXPECT_FALSE(is_ipv6_host("*"));
}

// ZMQ_IPV6 is set per bind and connect: IPv4 addresses keep their form
// (with it on, 127.0.0.1 would bind as [::ffff:127.0.0.1]), and a name with
// an IPv4 address is reached over IPv4, as before IPv6 was spoken.
TEST(Endpoint, Ipv6IsSpokenForIpv6AddressesAndTheWildcardOnly) {
  EXPECT_TRUE(wants_ipv6("tcp://[::1]:7400"));
  EXPECT_TRUE(wants_ipv6("tcp://[fd00::5]:*"));
  EXPECT_TRUE(wants_ipv6("tcp://*:*"));
  EXPECT_TRUE(wants_ipv6("tcp://[::]:7400"));
  EXPECT_FALSE(wants_ipv6("tcp://127.0.0.1:7400"));
  EXPECT_FALSE(wants_ipv6("tcp://0.0.0.0:*"));
  EXPECT_FALSE(wants_ipv6("tcp://localhost:7400"));
  EXPECT_FALSE(wants_ipv6("ipc:///run/rpclb/bus"));
  EXPECT_FALSE(wants_ipv6("inproc://completions"));
}

TEST(Endpoint, AWildcardBindIsReachedOnLoopback) {
  EXPECT_EQ(connectable("tcp://*:7400"), "tcp://127.0.0.1:7400");
  EXPECT_EQ(connectable("tcp://0.0.0.0:7400"), "tcp://127.0.0.1:7400");
  EXPECT_EQ(connectable("tcp://[::]:7400"), "tcp://[::1]:7400");
  EXPECT_EQ(connectable("tcp://[fd00::5]:7400"), "tcp://[fd00::5]:7400");
  EXPECT_EQ(connectable("ipc:///run/rpclb/bus"), "ipc:///run/rpclb/bus");
}

TEST(Endpoint, MalformedIpv6AndZonesAreRefusedSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> refused{
      {"tcp://::1:7400", "an IPv6 address goes in brackets, as in tcp://[::1]:PORT"},
      {"tcp://fd00::5:7400", "an IPv6 address goes in brackets"},
      {"tcp://[::1:7400", "unclosed or empty [IPv6 address]"},
      {"tcp://[]:7400", "unclosed or empty [IPv6 address]"},
      {"tcp://[fd00::5]]:7400", "[fd00::5]] is not an IPv6 address"},
      {"tcp://[fd00::zz]:7400", "[fd00::zz] is not an IPv6 address"},
      {"tcp://[10.0.0.5]:7400", "[10.0.0.5] is not an IPv6 address"},
      {"tcp://[fe80::1%eth0]:7400", "has an IPv6 zone (%eth0), which rpclb does not take"},
  };
  for (const auto& [endpoint, says] : refused) {
    auto valid = validate_endpoint(endpoint, false);
    ASSERT_FALSE(valid.ok()) << endpoint;
    EXPECT_EQ(valid.error().code, ErrorCode::bad_request);
    EXPECT_NE(valid.error().message.find(says), std::string::npos) << endpoint << ": " << valid.error().message;
    EXPECT_FALSE(bus_address(endpoint).ok()) << endpoint;
    EXPECT_FALSE(tcp_endpoint(endpoint).ok()) << endpoint;
  }
}

TEST(EndpointList, SplitsAndTrims) {
  auto list = split_endpoint_list("tcp://a:1, tcp://b:2");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<std::string>{"tcp://a:1", "tcp://b:2"}));
  EXPECT_FALSE(split_endpoint_list("tcp://a:1,,tcp://b:2").ok());
  EXPECT_FALSE(split_endpoint_list("").ok());
}

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
TEST(CliArgument, NumbersArriveExactlyOrAsTyped) {
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

#include "cli/config_file.hpp"

namespace rpclb::cli {
namespace {

TEST(ConfigFile, ParsesKnownKeysAndNamesBadLines) {
  auto values = parse_config("# c\n[rpclb]\nbus = tcp://a:1, tcp://b:2\n\nalgorithm=round_robin\n", "f.conf");
  ASSERT_TRUE(values.ok()) << values.error().message;
  EXPECT_EQ(values->at("bus").value, "tcp://a:1, tcp://b:2");
  EXPECT_EQ(values->at("bus").origin, "f.conf line 3");
  EXPECT_EQ(values->at("algorithm").value, "round_robin");
  EXPECT_EQ(values->at("algorithm").origin, "f.conf line 5");
  auto commented = parse_config("bus = tcp://a:1 # the hub\ncurve_secret = /k#1\n", "f.conf");
  ASSERT_TRUE(commented.ok());
  EXPECT_EQ(commented->at("bus").value, "tcp://a:1");
  EXPECT_EQ(commented->at("curve_secret").value, "/k#1");
  auto unknown = parse_config("bus = x\nfoo = 1\n", "f.conf");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("f.conf line 2: unknown key 'foo'"), std::string::npos);
  auto no_equals = parse_config("bus\n", "f.conf");
  ASSERT_FALSE(no_equals.ok());
  EXPECT_EQ(no_equals.error().code, ErrorCode::bad_request);
}

}  // namespace
}  // namespace rpclb::cli

#include "cli/verbatim_argv.hpp"

namespace rpclb::cli {
namespace {

// What CLI11 sees has no [a,b] word it could split; restoring gives back each
// word as typed, and "--" ends what CLI11 sees for call and cast.
TEST(VerbatimArgv, HidesListsFromTheParserAndRestoresThem) {
  const char* argv[] = {"rpclb", "call", "g", "f", "[1,2]", "\x1fsneaky", "x", "--", "--json", "[a]"};
  VerbatimArgv words(10, argv, VerbatimArgv::AfterDoubleDash::keep_as_arguments);
  ASSERT_EQ(words.argc(), 7);
  std::vector<std::string> seen(words.argv() + 1, words.argv() + words.argc());
  EXPECT_EQ(seen[0], "call");
  EXPECT_NE(seen[3], "[1,2]");
  EXPECT_NE(seen[4], "\x1fsneaky");
  EXPECT_EQ(seen[5], "x");
  words.restore(seen);
  EXPECT_EQ(seen, (std::vector<std::string>{"call", "g", "f", "[1,2]", "\x1fsneaky", "x"}));
  EXPECT_EQ(words.arguments_after_double_dash(), (std::vector<std::string>{"--json", "[a]"}));
  EXPECT_EQ(words.restored_text("not expected: " + std::string(words.argv()[4])), "not expected: [1,2]");

  VerbatimArgv parsed(10, argv, VerbatimArgv::AfterDoubleDash::parse);
  EXPECT_EQ(parsed.argc(), 10);
  EXPECT_TRUE(parsed.arguments_after_double_dash().empty());
}

}  // namespace
}  // namespace rpclb::cli
