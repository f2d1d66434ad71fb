// Endpoints, bus addresses and endpoint lists (common/endpoint.hpp).
#include "common/endpoint.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace rpclb
