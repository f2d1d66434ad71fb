// Shell-facing subcommands: groups, ping, status, and fan-out calls.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

class Ergonomics : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto functions = cluster.dir() / "functions.conf";
    std::ofstream(functions) << "[only.here]\nprogram = /bin/echo\nargs = here\n";
    cluster.start_hub_agent(0, "a", {"web", "db"}, {"--functions", functions.string()});
    frozen = &cluster.start_agent("b", {"web"});
    cluster.start_agent("c", {"web"});
    ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b", "c"}));
  }
  Cluster cluster;
  Process* frozen = nullptr;
};

TEST_F(Ergonomics, GroupsListsEveryGroupWithItsSize) {
  auto plain = cluster.rpclb({"groups"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.lines(), (std::vector<std::string>{"db 1", "web 3"}));
  auto json = cluster.rpclb({"groups", "--json"});
  EXPECT_EQ(json.json(), nlohmann::json::parse(R"([{"group":"db","members":1},{"group":"web","members":3}])"));
}

TEST_F(Ergonomics, PingReportsEachMemberAndFailsIfOneIsSilent) {
  auto healthy = cluster.rpclb({"ping", "web", "--json"});
  ASSERT_EQ(healthy.exit_code, 0) << healthy.err;
  ASSERT_EQ(healthy.json().size(), 3u);
  for (const auto& member : healthy.json()) {
    EXPECT_GT(member["rtt_ms"].get<double>(), 0.0);
    EXPECT_EQ(member["version"], "0.1.0");
  }
  frozen->signal(SIGSTOP);
  auto partial = cluster.rpclb({"ping", "web", "--timeout", "800"});
  frozen->signal(SIGCONT);
  EXPECT_EQ(partial.exit_code, 5) << partial.out;
  ASSERT_EQ(partial.lines().size(), 3u);
  EXPECT_TRUE(partial.lines()[1].starts_with("b request_timeout:")) << partial.lines()[1];
}

TEST_F(Ergonomics, StatusFindsANodeAnywhereOnTheBus) {
  auto found = cluster.rpclb({"status", "c", "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(found.json()[0]["name"], "c");
  auto missing = cluster.rpclb({"status", "nobody"});
  EXPECT_EQ(missing.exit_code, 4);
}

TEST_F(Ergonomics, CallAllGivesOneResultPerNode) {
  auto result = cluster.rpclb({"call", "web", "sys.echo", "hi", "--all", "--parallel", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.lines(), (std::vector<std::string>{"a\t[\"hi\"]", "b\t[\"hi\"]", "c\t[\"hi\"]"}));
}

TEST_F(Ergonomics, CallAllFailsIfAnyNodeFails) {
  auto result = cluster.rpclb({"call", "web", "only.here", "--all", "--json"});
  EXPECT_EQ(result.exit_code, 3);
  const auto lines = result.json();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["node"], "a");
  EXPECT_EQ(lines[0]["result"]["stdout"], "here\n");
  EXPECT_EQ(lines[1]["error"]["code"], "not_found");
  EXPECT_EQ(lines[2]["error"]["code"], "not_found");
}

TEST_F(Ergonomics, CallCountPicksDistinctMembers) {
  auto result = cluster.rpclb({"call", "web", "sys.info", "-n", "2", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(result.json().size(), 2u);
  EXPECT_NE(result.json()[0]["node"], result.json()[1]["node"]);
  EXPECT_EQ(result.json()[0]["node"], result.json()[0]["result"]["name"]);
}

}  // namespace
}  // namespace rpclb::testing
