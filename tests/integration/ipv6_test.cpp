// IPv6 on loopback ([::1]): hubs, announcers, RPC, the CLI's snapshot and
// call sockets, CURVE included; a wildcard hub taking both families; the
// bracketed form everywhere an endpoint is shown. Across hosts on IPv6
// alone: tests/multihost/multihost_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

class Ipv6 : public ::testing::Test {
 protected:
  void SetUp() override { cluster.hub_host = "[::1]"; }
  Cluster cluster;
};

TEST_F(Ipv6, HubsMembersAndCallsWorkOnIpv6Loopback) {
  cluster.start_hub_agent(0, "a", {"v6"});
  cluster.start_agent("b", {"v6"});
  // Every interface, both families: announced as the hubs' loopback, [::1].
  cluster.start_agent("c", {"v6"}, {"--listen", "tcp://*:*"});
  ASSERT_TRUE(cluster.wait_for_members("v6", {"a", "b", "c"}));
  EXPECT_TRUE(cluster.hub_endpoint(0).starts_with("tcp://[::1]:")) << cluster.hub_endpoint(0);

  auto listed = cluster.rpclb({"members", "v6", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (const auto& member : listed.json()) {
    EXPECT_TRUE(member["endpoint"].get<std::string>().starts_with("tcp://[::1]:")) << member.dump();
  }
  for (const auto* name : {"a", "b", "c"}) {
    auto called = cluster.rpclb({"call", "v6", "sys.echo", "over six", "--match", name, "--json"});
    ASSERT_EQ(called.exit_code, 0) << name << ": " << called.err;
    EXPECT_EQ(called.json()["node"], name);
    EXPECT_EQ(called.json()["result"], nlohmann::json::array({"over six"}));
  }
  // Casts and fan-out take the same sockets.
  auto everyone = cluster.rpclb({"call", "v6", "sys.echo", "x", "--all"});
  EXPECT_EQ(everyone.exit_code, 0) << everyone.err;
  EXPECT_EQ(everyone.lines().size(), 3u) << everyone.out;
  EXPECT_EQ(cluster.rpclb({"cast", "v6", "sys.echo", "x"}).exit_code, 0);
}

TEST_F(Ipv6, TheAgentLogSaysWhereItServesInBrackets) {
  cluster.start_hub_agent(0, "a", {"v6"});
  ASSERT_TRUE(cluster.wait_for_members("v6", {"a"}));
  const auto log = cluster.agent_log("a");
  EXPECT_NE(log.find("endpoint=tcp://[::1]:"), std::string::npos) << log;
  EXPECT_NE(log.find(cluster.hub_endpoint(0)), std::string::npos) << log;
}

TEST_F(Ipv6, AWildcardHubTakesBothFamilies) {
  const auto port = std::to_string(free_port_triple());
  // A hub on every interface counts as one other hosts use, so its agent
  // must say where it is reached: a documentation address (TEST-NET-1) in a
  // group of its own, never called.
  const std::vector<std::string> fast{"--heartbeat-ms", std::to_string(Cluster::kHeartbeatMs)};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), fast.begin(), fast.end());
    return args;
  };
  cluster.start_agent_exactly("hub", with({"--group", "hubs", "--serve-bus", "tcp://*:" + port, "--advertise",
                                           "tcp://192.0.2.1:9", "--listen", "tcp://*:*"}));
  // One member announces over IPv6, one over IPv4, to the same hub.
  cluster.start_agent_exactly("six",
                              with({"--group", "both", "--bus", "tcp://[::1]:" + port, "--listen", "tcp://[::1]:*"}));
  cluster.start_agent_exactly(
      "four", with({"--group", "both", "--bus", "tcp://127.0.0.1:" + port, "--listen", "tcp://127.0.0.1:*"}));
  cluster.pass_bus_flags = false;
  for (const auto* bus : {"tcp://127.0.0.1:", "tcp://[::1]:"}) {
    const bool seen = Cluster::wait_until([&] {
      auto listed = cluster.rpclb({"members", "both", "--bus", bus + port});
      return listed.exit_code == 0 && listed.lines() == std::vector<std::string>{"four", "six"};
    });
    EXPECT_TRUE(seen) << bus << port;
    for (const auto* name : {"four", "six"}) {
      auto called = cluster.rpclb({"call", "both", "sys.echo", "hi", "--match", name, "--bus", bus + port});
      EXPECT_EQ(called.exit_code, 0) << bus << port << " to " << name << ": " << called.err;
    }
  }
  auto listed = cluster.rpclb({"members", "both", "--json", "--bus", "tcp://[::1]:" + port});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  // IPv4 endpoints keep their form (not [::ffff:127.0.0.1]).
  EXPECT_TRUE(listed.json()[0]["endpoint"].get<std::string>().starts_with("tcp://127.0.0.1:")) << listed.out;
  EXPECT_TRUE(listed.json()[1]["endpoint"].get<std::string>().starts_with("tcp://[::1]:")) << listed.out;
}

TEST_F(Ipv6, CurveWorksOnIpv6) {
  const auto keys = cluster.dir() / "keys";
  std::filesystem::create_directories(keys / "authorized");
  for (const auto* name : {"cluster", "alice"}) {
    ASSERT_EQ(cluster.rpclb({"keygen", (keys / name).string()}).exit_code, 0);
  }
  std::filesystem::copy_file(keys / "alice.pub", keys / "authorized" / "alice.pub");
  const std::vector<std::string> secure{"--curve-secret", (keys / "cluster.key").string(), "--curve-authorized",
                                        (keys / "authorized").string()};
  cluster.start_hub_agent(0, "a", {"v6"}, secure);
  cluster.start_agent("b", {"v6"}, secure);
  cluster.client_args = {"--curve-secret", (keys / "alice.key").string(), "--curve-server-key",
                         (keys / "cluster.pub").string()};
  ASSERT_TRUE(cluster.wait_for_members("v6", {"a", "b"}));
  auto called = cluster.rpclb({"call", "v6", "sys.echo", "secret", "--all", "--json"});
  ASSERT_EQ(called.exit_code, 0) << called.err;
  EXPECT_EQ(called.json().size(), 2u) << called.out;
  // Without keys, the hub tells a stranger nothing.
  cluster.client_args.clear();
  auto stranger = cluster.rpclb({"members", "v6", "--bus-timeout", "300"});
  EXPECT_EQ(stranger.exit_code, 7) << stranger.out << stranger.err;
}

TEST_F(Ipv6, UnbracketedAddressesAndZonesAreRefusedAtOnce) {
  auto unbracketed = cluster.rpclb({"members", "v6", "--bus", "tcp://::1:7400"});
  EXPECT_EQ(unbracketed.exit_code, 2);
  EXPECT_NE(unbracketed.err.find("an IPv6 address goes in brackets"), std::string::npos) << unbracketed.err;
  auto zoned = cluster.rpclb({"members", "v6", "--bus", "tcp://[fe80::1%lo]:7400"});
  EXPECT_EQ(zoned.exit_code, 2);
  EXPECT_NE(zoned.err.find("IPv6 zone (%lo)"), std::string::npos) << zoned.err;
}

}  // namespace
}  // namespace rpclb::testing
