// What a host's callers remember between commands: members that failed them
// (ejected for a while, shown by `members --json`), selections nobody gave
// back (which end with their process, or expire), fan-out that replaces a
// member that could not take the request, and load announced when it moves.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <thread>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Three agents; the hub keeps members listed long after they go silent, so
// whatever the callers skip, they skip by their own memory.
class ThreeListed : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(cluster.dir() / "hang.conf", "[test.wait]\nprogram = /bin/sleep\nargs = 30\n");
    auto members = ThreeMembers::dead_stay_listed();
    members.a_flags = {"--functions", (cluster.dir() / "hang.conf").string()};
    const auto three = cluster.start_three(members);
    victim = three.a;
    second = three.b;
    ASSERT_TRUE(three.listed);
  }
  void kill_victim() {
    victim->signal(SIGKILL);
    ASSERT_TRUE(victim->wait_for(5s).has_value());
  }
  // `members web --json`, by name.
  std::map<std::string, nlohmann::json> remembered(const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = flags;
    args.insert(args.end(), {"--json", "members", "web"});
    auto listed = cluster.rpclb(args);
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    std::map<std::string, nlohmann::json> by_name;
    if (listed.exit_code == 0) {
      for (const auto& member : listed.json()) by_name[member["name"]] = member;
    }
    return by_name;
  }
  Cluster cluster;
  Process* victim = nullptr;
  Process* second = nullptr;  // b
};

TEST_F(ThreeListed, AMemberThatRefusedIsSkippedByEveryCallerOnTheHostAndShown) {
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  // Long ejections, so nothing here races their end.
  const std::vector<std::string> slow{"--eject-base", "20000", "--eject-max", "60000"};
  auto args = slow;
  args.insert(args.end(), {"--json", "call", "web", "sys.info", "--algorithm", "round_robin"});
  // A fresh rotation starts at "a": refused, and another answers.
  auto first = cluster.rpclb(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.json()["node"], "a");

  auto seen = remembered(slow);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen["a"]["ejected"], true);
  EXPECT_GT(seen["a"]["ejected_for_ms"].get<int>(), 15000);
  EXPECT_LE(seen["a"]["ejected_for_ms"].get<int>(), 20000);
  EXPECT_TRUE(seen["a"]["ejected_until"].get<std::string>().ends_with("Z")) << seen["a"];
  EXPECT_EQ(seen["b"]["ejected"], false);
  EXPECT_FALSE(seen["b"].contains("ejected_until"));

  // Other commands on this host (other algorithms too) skip it.
  for (int i = 0; i < 15; ++i) {
    auto select = slow;
    select.insert(select.end(), {"select", "web"});
    auto chosen = cluster.rpclb(select);
    ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
    EXPECT_NE(chosen.out, "a\n");
  }
  // Never all: asked for by name, it is the only candidate and is tried; its
  // second ejection in a row lasts twice as long.
  auto named = slow;
  named.insert(named.end(), {"call", "web", "sys.info", "--match", "a"});
  EXPECT_EQ(cluster.rpclb(named).exit_code, 4);
  EXPECT_GT(remembered(slow)["a"]["ejected_for_ms"].get<int>(), 35000);
}

TEST_F(ThreeListed, NeverMoreThanTheShareIsSkippedAndNeverAll) {
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  const std::vector<std::string> slow{"--eject-base", "20000"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), slow.begin(), slow.end());
    return cluster.rpclb(args);
  };
  // a refuses, then b hangs: both ejected, a first (so back first).
  EXPECT_EQ(with({"call", "web", "sys.info", "--match", "a"}).exit_code, 4);
  second->signal(SIGSTOP);
  EXPECT_EQ(with({"call", "web", "sys.info", "--match", "b"}).exit_code, 4);
  auto seen = remembered(slow);
  EXPECT_EQ(seen["a"]["ejected"], true);
  EXPECT_EQ(seen["b"]["ejected"], true);
  // Of a and b, one may be skipped: b, back last; a is chosen, not nobody.
  for (int i = 0; i < 5; ++i) {
    auto chosen = with({"select", "web", "--match", "a", "--match", "b"});
    EXPECT_EQ(chosen.exit_code, 0) << chosen.err;
    EXPECT_EQ(chosen.out, "a\n");
  }
  second->signal(SIGCONT);
}

TEST_F(ThreeListed, ConfigFilesSetTheFailureMemoryWithinTheFlagsRanges) {
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  write_file(cluster.system_config(), "eject_base_ms = 20000\n");
  ASSERT_EQ(cluster.rpclb({"call", "web", "sys.info", "--match", "a"}).exit_code, 4);
  EXPECT_GT(remembered()["a"]["ejected_for_ms"].get<int>(), 15000);
  write_file(cluster.system_config(), "max_ejected_percent = 101\n");
  auto refused = cluster.rpclb({"members", "web"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("line 1: max_ejected_percent: must be a whole number from 0 to 100, got '101'"),
            std::string::npos)
      << refused.err;
}

TEST_F(ThreeListed, RoundRobinGoesEvenlyRoundTheMembersLeft) {
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  std::map<std::string, int> served;
  for (int i = 0; i < 60; ++i) {
    auto called = cluster.rpclb({"--json", "call", "web", "sys.info", "--algorithm", "round_robin"});
    ASSERT_EQ(called.exit_code, 0) << called.err;
    ++served[called.json()["node"].get<std::string>()];
  }
  // Retrying past the dead member used to send b three calls for each of c's.
  EXPECT_NEAR(served["b"], 30, 3);
  EXPECT_NEAR(served["c"], 30, 3);
}

TEST_F(ThreeListed, TimeoutsEjectOnlyInARowAndAnAnswerClearsTheRecord) {
  const std::vector<std::string> hang{"--timeout", "300", "call", "web", "test.wait", "--match", "a"};
  auto ejected = [&] { return remembered()["a"]["ejected"].get<bool>(); };
  for (int i = 0; i < 2; ++i) EXPECT_EQ(cluster.rpclb(hang).exit_code, 5);
  EXPECT_FALSE(ejected());
  // An answer in between: the count starts again.
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.info", "--match", "a"}).exit_code, 0);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(cluster.rpclb(hang).exit_code, 5);
  EXPECT_FALSE(ejected());
  EXPECT_EQ(cluster.rpclb(hang).exit_code, 5);
  EXPECT_TRUE(ejected());
}

TEST_F(ThreeListed, AHungMemberIsEjectedAndItsFirstAnswerAfterwardsForgivesIt) {
  // Ejections long enough that no slow command outlasts one: the second in a
  // row lasts twice the base, and what is left of it is still over the base.
  const std::vector<std::string> quick{"--eject-base", "5000"};
  auto call_a = quick;
  call_a.insert(call_a.end(), {"call", "web", "sys.info", "--match", "a"});
  victim->signal(SIGSTOP);
  EXPECT_EQ(cluster.rpclb(call_a).exit_code, 4);
  EXPECT_EQ(cluster.rpclb(call_a).exit_code, 4);  // tried again: the only candidate
  // The second ejection in a row: 10 s.
  EXPECT_GT(remembered(quick)["a"]["ejected_for_ms"].get<int>(), 5000);
  victim->signal(SIGCONT);
  EXPECT_EQ(cluster.rpclb(call_a).exit_code, 0);
  EXPECT_EQ(remembered(quick)["a"]["ejected"], false);
  // Forgiven: the next ejection is a first one again.
  victim->signal(SIGSTOP);
  EXPECT_EQ(cluster.rpclb(call_a).exit_code, 4);
  const auto again = remembered(quick)["a"];
  victim->signal(SIGCONT);
  EXPECT_EQ(again["ejected"], true);
  EXPECT_LE(again["ejected_for_ms"].get<int>(), 5000);
}

TEST_F(ThreeListed, AnInterruptedCallGivesBackItsCount) {
  for (int signal_number : {SIGINT, SIGKILL}) {
    auto& waiting =
        cluster.rpclb_async({"call", "web", "test.wait", "--match", "a", "--algorithm", "least_connections"},
                            "waiting-" + std::to_string(signal_number));
    ASSERT_TRUE(Cluster::wait_until([&] { return remembered()["a"]["outstanding"] == 1; })) << signal_number;
    waiting.signal(signal_number);
    ASSERT_TRUE(waiting.wait_for(5s).has_value());
    EXPECT_EQ(remembered()["a"]["outstanding"], 0) << signal_number;
  }
}

TEST_F(ThreeListed, ASelectionNobodyReleasesStopsCountingAfterItsTime) {
  // Long enough that the two selections and the look that counts them fit
  // in it on any machine.
  const std::vector<std::string> brief{"--selection-ttl", "8"};
  auto select = brief;
  select.insert(select.end(), {"select", "web", "--algorithm", "least_connections", "--match", "b"});
  const auto start = Clock::now();
  ASSERT_EQ(cluster.rpclb(select).exit_code, 0);
  ASSERT_EQ(cluster.rpclb(select).exit_code, 0);
  EXPECT_EQ(remembered(brief)["b"]["outstanding"], 2);
  ASSERT_TRUE(Cluster::wait_until([&] { return remembered(brief)["b"]["outstanding"] == 0; }, 30s));
  EXPECT_GE(Clock::now() - start, 8s);
  // The default keeps one for ten minutes.
  auto lasting = cluster.rpclb({"select", "web", "--algorithm", "least_connections", "--match", "c"});
  ASSERT_EQ(lasting.exit_code, 0);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(remembered()["c"]["outstanding"], 1);
}

TEST_F(ThreeListed, ACountedFanOutReplacesAMemberThatCannotTakeIt) {
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  // Without ejection (which would skip a after its first refusal).
  const std::vector<std::string> forgetful{"--json", "--max-ejected-percent", "0"};
  auto fan = [&](std::vector<std::string> args) {
    args.insert(args.begin(), forgetful.begin(), forgetful.end());
    return cluster.rpclb(args);
  };
  // A fresh rotation chooses a and b; a is replaced by c.
  auto fanned = fan({"call", "web", "sys.info", "-n", "2", "--algorithm", "round_robin"});
  ASSERT_EQ(fanned.exit_code, 0) << fanned.err;
  std::set<std::string> nodes;
  for (const auto& line : fanned.json()) {
    EXPECT_TRUE(line.contains("result")) << line;
    nodes.insert(line["node"].get<std::string>());
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"b", "c"}));
  EXPECT_NE(fanned.err.find("replaced a: connection refused"), std::string::npos) << fanned.err;
  // With nobody left to replace it, the failure is reported, not dropped.
  auto all = fan({"call", "web", "sys.info", "-n", "3"});
  EXPECT_EQ(all.exit_code, 4) << all.err;
  ASSERT_EQ(all.json().size(), 3u) << all.out;
  // With ejection, a is skipped from the start, and the shortfall is said.
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.info", "--match", "a"}).exit_code, 4);
  auto short_of_one = cluster.rpclb({"--json", "call", "web", "sys.info", "-n", "3"});
  EXPECT_EQ(short_of_one.exit_code, 0) << short_of_one.err;
  EXPECT_EQ(short_of_one.json().size(), 2u) << short_of_one.out;
  EXPECT_NE(short_of_one.err.find("chose 2 of the 3 members asked for"), std::string::npos) << short_of_one.err;
}

TEST_F(ThreeListed, RetriesStopAtTheBudgetOfTheHostsCallers) {
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  // A key whose owner on the ring of a and c is the dead a: every call starts
  // there and makes exactly one retry, on c.
  const std::vector<std::string> ring{"--match", "a", "--match", "c", "--algorithm", "hash_ring", "--key"};
  std::string key;
  for (int i = 0; i < 64 && key.empty(); ++i) {
    auto args = std::vector<std::string>{"select", "web"};
    args.insert(args.end(), ring.begin(), ring.end());
    args.push_back("key-" + std::to_string(i));
    auto chosen = cluster.rpclb(args);
    if (chosen.exit_code == 0 && chosen.out == "a\n") key = "key-" + std::to_string(i);
  }
  ASSERT_FALSE(key.empty());
  // No ejection (a stays first), no share of calls and a floor of one retry
  // a second: ten retries in the 10 s window, shared by every process.
  std::vector<std::string> call{
      "--max-ejected-percent", "0", "--retry-budget", "0", "--retry-floor", "1", "call", "web", "sys.info"};
  call.insert(call.end(), ring.begin(), ring.end());
  call.insert(call.end(), {key, "--retries", "1"});
  // Callers in batches of eight at once, so that even a slow machine makes
  // eleven within the window, until the budget refuses one.
  constexpr int kBatch = 8;
  int refused = 0;
  int answered = 0;
  for (int batch = 0; batch < 10 && refused == 0; ++batch) {
    std::vector<Process*> running;
    for (int i = 0; i < kBatch; ++i) {
      running.push_back(&cluster.rpclb_async(call, "budget-" + std::to_string(batch) + "-" + std::to_string(i)));
    }
    for (int i = 0; i < kBatch; ++i) {
      auto result = cluster.collect(*running[i], "budget-" + std::to_string(batch) + "-" + std::to_string(i), 30s);
      if (result.exit_code == 0) {
        ++answered;
        continue;
      }
      EXPECT_EQ(result.exit_code, 4) << result.err;
      EXPECT_NE(result.err.find("the retry budget of this host's callers is spent (tried: a: connection refused"),
                std::string::npos)
          << result.err;
      ++refused;
    }
  }
  EXPECT_GE(refused, 1);
  // The window's ten retries were all allowed (more, if it moved on meanwhile).
  EXPECT_GE(answered, 10);
}

TEST_F(ThreeListed, CastAllHandsTheFunctionToEveryMember) {
  auto cast = cluster.rpclb({"--json", "cast", "web", "sys.echo", "hi", "--all"});
  ASSERT_EQ(cast.exit_code, 0) << cast.err;
  std::set<std::string> accepted;
  for (const auto& line : cast.json()) {
    EXPECT_EQ(line["accepted"], true) << line;
    accepted.insert(line["node"].get<std::string>());
  }
  EXPECT_EQ(accepted, (std::set<std::string>{"a", "b", "c"}));
  auto plain = cluster.rpclb({"cast", "web", "sys.echo", "hi", "--all", "--match", "b"});
  EXPECT_EQ(plain.out, "b\taccepted\n");
}

// An agent with a five-second heartbeat: its load still reaches the bus
// about as soon as a call starts.
TEST(FreshLoad, ACallInFlightIsAnnouncedLongBeforeTheNextHeartbeat) {
  Cluster cluster;
  write_file(cluster.dir() / "hang.conf", "[test.wait]\nprogram = /bin/sleep\nargs = 30\n");
  cluster.start_hub_agent(0, "hub", {});
  cluster.start_agent("slow", {"web"},
                      {"--heartbeat-ms", "5000", "--functions", (cluster.dir() / "hang.conf").string()});
  ASSERT_TRUE(cluster.wait_for_members("web", {"slow"}));
  std::this_thread::sleep_for(200ms);
  const auto start = Clock::now();
  auto& waiting = cluster.rpclb_async({"call", "web", "test.wait", "--timeout", "8000"}, "waiting");
  ASSERT_TRUE(cluster.wait_for_load("web", 1));
  EXPECT_LT(Clock::now() - start, 2s);
  waiting.signal(SIGKILL);
  waiting.wait_for(5s);
}

}  // namespace
}  // namespace rpclb::testing
