// Every selection policy against real agents, and balancer state shared by
// concurrent rpclb processes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "algorithms/registry.hpp"
#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

class Policies : public ::testing::Test {
 protected:
  void SetUp() override {
    // Heartbeats of a second, not the harness's 100 ms: a member that missed
    // three under a loaded machine would drop out of one selection and skew
    // a count (ConcurrentProcessesShareOneRotation did, once, under ASan).
    // Load still reaches the bus at once (announced when it moves).
    const std::vector<std::string> steady{"--heartbeat-ms", "1000"};
    auto with = [&](std::vector<std::string> flags) {
      flags.insert(flags.end(), steady.begin(), steady.end());
      return flags;
    };
    cluster.start_hub_agent(0, "a", {"web"}, with({"--weight", "3"}));
    cluster.start_agent("b", {"web"}, steady);
    cluster.start_agent("c", {"web"}, steady);
    ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b", "c"}));
  }

  std::map<std::string, int> tally(const std::vector<std::string>& args, int times) {
    std::map<std::string, int> counts;
    for (int i = 0; i < times; ++i) {
      auto result = cluster.rpclb(args);
      EXPECT_EQ(result.exit_code, 0) << result.err;
      for (const auto& line : result.lines()) ++counts[line];
    }
    return counts;
  }

  Cluster cluster;
};

TEST_F(Policies, EveryAlgorithmSelectsAMember) {
  const std::set<std::string> all{"a", "b", "c"};
  for (auto name : algorithms::algorithm_names()) {
    auto result = cluster.rpclb({"select", "web", "--algorithm", std::string(name), "--key", "k"});
    ASSERT_EQ(result.exit_code, 0) << name << ": " << result.err;
    ASSERT_EQ(result.lines().size(), 1u) << name;
    EXPECT_TRUE(all.contains(result.lines()[0])) << name;
    auto two = cluster.rpclb({"select", "web", "-n", "2", "--algorithm", std::string(name), "--key", "k", "--json"});
    ASSERT_EQ(two.exit_code, 0) << name << ": " << two.err;
    ASSERT_EQ(two.json().size(), 2u) << name;
    EXPECT_NE(two.json()[0]["name"], two.json()[1]["name"]) << name;
  }
}

TEST_F(Policies, WeightedRoundRobinFollowsAgentWeights) {
  // a has --weight 3: nginx's smooth order for 3:1:1 is a, b, a, c, a (not a, a, a, b, c).
  std::vector<std::string> sequence;
  for (int i = 0; i < 5; ++i) {
    auto result = cluster.rpclb({"select", "web", "--algorithm", "weighted_round_robin"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    sequence.push_back(result.lines().at(0));
  }
  EXPECT_EQ(sequence, (std::vector<std::string>{"a", "b", "a", "c", "a"}));
}

TEST_F(Policies, WeightedRoundRobinTakesCallerWeights) {
  auto counts = tally({"select", "web", "--algorithm", "weighted_round_robin", "--opt", "weights=a:1,c:4"}, 6);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 1}, {"b", 1}, {"c", 4}}));
}

TEST_F(Policies, HashRingIsStablePerKeyAndNeedsAKey) {
  auto first = cluster.rpclb({"select", "web", "--algorithm", "hash_ring", "--key", "user-7", "-n", "3"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto replicas = first.lines();
  EXPECT_EQ(std::set<std::string>(replicas.begin(), replicas.end()).size(), 3u);
  auto again = cluster.rpclb({"select", "web", "--algorithm", "hash_ring", "--key", "user-7", "-n", "3"});
  EXPECT_EQ(again.out, first.out);
  auto primary = cluster.rpclb({"select", "web", "--algorithm", "hash_ring", "--key", "user-7"});
  EXPECT_EQ(primary.lines().at(0), first.lines().at(0));
  auto keyless = cluster.rpclb({"select", "web", "--algorithm", "hash_ring"});
  EXPECT_EQ(keyless.exit_code, 2);
  EXPECT_NE(keyless.err.find("--key"), std::string::npos) << keyless.err;
}

TEST_F(Policies, LeastConnectionsCountsSelectionsUntilReleased) {
  // Three selections without release land on three different nodes...
  auto counts = tally({"select", "web", "--algorithm", "least_connections"}, 3);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 1}, {"b", 1}, {"c", 1}}));
  // ... and once b is released, b is the least loaded.
  ASSERT_EQ(cluster.rpclb({"release", "web", "b"}).exit_code, 0);
  auto next = cluster.rpclb({"select", "web", "--algorithm", "least_connections"});
  EXPECT_EQ(next.lines(), (std::vector<std::string>{"b"}));
}

TEST_F(Policies, CallsReleaseTheirSelection) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(cluster.rpclb({"call", "web", "sys.echo", "--algorithm", "least_connections"}).exit_code, 0);
  }
  // Had the calls not released, all three would now carry a count; instead all are at zero.
  auto counts = tally({"select", "web", "--algorithm", "least_connections"}, 3);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 1}, {"b", 1}, {"c", 1}}));
}

// A call gives back only what its own choice took: round_robin counts no
// selections, so its calls leave a script's `select` of least_connections
// outstanding (they used to release it, and took the state lock twice).
TEST_F(Policies, CallsOfAPolicyThatCountsNothingReleaseNothing) {
  auto held = cluster.rpclb({"select", "web", "--algorithm", "least_connections"});
  ASSERT_EQ(held.exit_code, 0) << held.err;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(cluster.rpclb({"call", "web", "sys.echo", "--algorithm", "round_robin"}).exit_code, 0);
  }
  auto released = cluster.rpclb({"release", "web", held.lines().at(0), "--json"});
  ASSERT_EQ(released.exit_code, 0) << released.err;
  EXPECT_EQ(released.json()["released"], true);
}

TEST_F(Policies, LeastConnectionsSteersAwayFromABusyAgent) {
  // Another caller keeps b busy with long sleeps; b announces its load on the bus.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(cluster.rpclb({"cast", "web", "sys.sleep", "6000", "--match", "b"}).exit_code, 0);
  }
  ASSERT_TRUE(Cluster::wait_until([&] {
    auto members = cluster.rpclb({"members", "web", "--json", "--match", "b"});
    return members.exit_code == 0 && members.json()[0]["load"] == 2;
  }));
  for (const auto& algorithm : {"least_connections", "power_of_two"}) {
    for (int i = 0; i < 6; ++i) {
      auto result = cluster.rpclb({"call", "web", "sys.info", "--algorithm", algorithm});
      ASSERT_EQ(result.exit_code, 0) << result.err;
      // power_of_two compares two distinct members, so the busy one always loses.
      EXPECT_NE(result.json()["name"], "b") << algorithm << " chose the busy node";
    }
  }
}

TEST_F(Policies, ConcurrentProcessesShareOneRotation) {
  constexpr int kProcesses = 12;
  std::vector<Process*> running;
  for (int i = 0; i < kProcesses; ++i) {
    running.push_back(&cluster.rpclb_async({"select", "web", "--algorithm", "round_robin"}, "rr-" + std::to_string(i)));
  }
  std::map<std::string, int> counts;
  for (int i = 0; i < kProcesses; ++i) {
    auto result = cluster.collect(*running[i], "rr-" + std::to_string(i), 30s);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ++counts[result.lines().at(0)];
  }
  // Twelve slots of one rotation over three nodes: four each, whatever the interleaving.
  EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 4}, {"b", 4}, {"c", 4}}));
}

TEST_F(Policies, CorruptStateFileIsRecovered) {
  ASSERT_EQ(cluster.rpclb({"select", "web", "--algorithm", "round_robin"}).exit_code, 0);
  for (const auto& entry : std::filesystem::directory_iterator(cluster.dir() / "state")) {
    std::ofstream(entry.path(), std::ios::trunc) << "\x7f garbage\nnode";
  }
  auto result = cluster.rpclb({"select", "web", "--algorithm", "round_robin"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.lines(), (std::vector<std::string>{"a"}));  // the rotation starts afresh
}

}  // namespace
}  // namespace rpclb::testing
