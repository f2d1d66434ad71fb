// Shell-facing subcommands: groups, ping, status, and fan-out calls.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

class Ergonomics : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto functions = cluster.dir() / "functions.conf";
    std::ofstream(functions) << "[only.here]\nprogram = /bin/echo\nargs = here\n";
    // Members stay listed while silent, so a stopped one is pinged, not expired mid-test.
    cluster.start_hub_agent(0, "a", {"web", "db"}, {"--functions", functions.string(), "--missed-heartbeats", "1000"});
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
    // Measured inside this one command, so bounded by its own run time.
    const auto rtt = member["rtt_ms"].get<double>();
    EXPECT_GT(rtt, 0.0);
    EXPECT_LT(rtt, static_cast<double>(healthy.elapsed.count()) + 1.0);
    EXPECT_EQ(member["in_flight"], 0);
    EXPECT_GT(member["uptime_ms"].get<long>(), 0);
    EXPECT_EQ(member["version"], RPCLB_VERSION);
  }
  frozen->signal(SIGSTOP);
  auto partial = cluster.rpclb({"ping", "web", "--timeout", "800"});
  frozen->signal(SIGCONT);
  // A stopped process never finishes the handshake: nothing was sent to it.
  EXPECT_EQ(partial.exit_code, 4) << partial.out;
  ASSERT_EQ(partial.lines().size(), 3u);
  EXPECT_TRUE(partial.lines()[1].starts_with("b service_unavailable: timed out connecting")) << partial.lines()[1];
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

TEST_F(Ergonomics, WatchPrintsJoinsLoadChangesAndLeavesUntilInterrupted) {
  auto& watch = cluster.rpclb_async({"members", "web", "--watch", "--json"}, "watch");
  auto events = [&] {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream lines(cluster.output_so_far("watch"));
    for (std::string line; std::getline(lines, line);) {
      // The last line may still be being written: skip what does not parse yet.
      const auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!event.is_discarded()) out.emplace_back(event["event"], event["member"]["name"]);
    }
    return out;
  };
  auto saw = [&](const std::string& event, const std::string& name) {
    return Cluster::wait_until([&] {
      const auto seen = events();
      return std::find(seen.begin(), seen.end(), std::make_pair(event, name)) != seen.end();
    });
  };
  // The current members first...
  ASSERT_TRUE(saw("join", "a"));
  ASSERT_TRUE(saw("join", "c"));
  // ...then changes as they happen.
  auto& newcomer = cluster.start_agent("d", {"web"});
  EXPECT_TRUE(saw("join", "d"));
  ASSERT_EQ(cluster.rpclb({"cast", "web", "sys.sleep", "3000", "--match", "d"}).exit_code, 0);
  EXPECT_TRUE(saw("update", "d"));
  newcomer.signal(SIGTERM);
  EXPECT_TRUE(saw("leave", "d"));
  watch.signal(SIGINT);
  EXPECT_EQ(watch.wait_for(5s), 0);
}

TEST(ConfigFiles, FlagsOverrideEnvironmentOverrideUserFileOverrideSystemFile) {
  Cluster cluster;
  cluster.start_hub_agent(0, "a", {"web"});
  cluster.start_agent("b", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b"}));
  std::filesystem::create_directories(cluster.user_config().parent_path());
  std::ofstream(cluster.system_config()) << "algorithm = weighted_round_robin\ntimeout_ms = 1000\n";
  std::ofstream(cluster.user_config()) << "# mine\nalgorithm = round_robin\n";
  // The user file's algorithm wins over the system file's: a strict rotation.
  EXPECT_EQ(cluster.rpclb({"select", "web"}).lines(), (std::vector<std::string>{"a"}));
  EXPECT_EQ(cluster.rpclb({"select", "web"}).lines(), (std::vector<std::string>{"b"}));
  // The system file's timeout still applies (1 s); a flag overrides it.
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.sleep", "4000"}).exit_code, 5);
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.sleep", "200", "--timeout", "5000"}).exit_code, 0);
  // The bus: the file names a dead hub, the environment the live one.
  std::ofstream(cluster.user_config(), std::ios::app) << "bus = tcp://127.0.0.1:9\n";
  cluster.pass_bus_flags = false;
  cluster.client_args = {"--bus-timeout", "300"};
  EXPECT_EQ(cluster.rpclb({"members", "web"}).exit_code, 4);  // the file's dead hub
  cluster.extra_env = {"RPCLB_BUS=" + cluster.hub_endpoint(0)};
  EXPECT_EQ(cluster.rpclb({"members", "web"}).lines(), (std::vector<std::string>{"a", "b"}));  // environment wins
  cluster.extra_env = {"RPCLB_BUS=tcp://127.0.0.1:9"};
  EXPECT_EQ(cluster.rpclb({"members", "web", "--bus", cluster.hub_endpoint(0)}).exit_code, 0);  // flag wins
  // A broken file is a clear bad_request, not a silent default.
  std::ofstream(cluster.user_config(), std::ios::app) << "colour = red\n";
  auto broken = cluster.rpclb({"members", "web"});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("unknown key 'colour'"), std::string::npos) << broken.err;
}

}  // namespace
}  // namespace rpclb::testing
