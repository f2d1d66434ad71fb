// A soak with invariants: for RPCLB_SOAK_SECONDS (default 40; bench/soak runs
// it longer), members are drained and restarted, killed -9 and restarted,
// stopped and continued, and a hub is killed and restarted, while one-shot
// `rpclb call`s and a long-lived library Client keep calling and a watcher
// follows the group. Throughout and at the end:
//   - every call ends by its deadline + 1 s, with an exit code rpclb documents;
//   - no reply an agent sent is lost: a call an agent logged as done (code=ok)
//     never reaches its caller as a lost connection (the killed -9 member,
//     which may log and die before sending, is left out);
//   - every member given SIGTERM exits 0 within its drain timeout + 1 s;
//   - the watcher matches `rpclb members` within 2 s of the last fault;
//   - the long-lived Client still answers at the end.
// The figures are printed as "figure:" lines.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "rpclb/payload_msgpack.hpp"
#include "rpclb/rpclb.hpp"
#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::chrono::seconds soak_time() {
  const char* text = std::getenv("RPCLB_SOAK_SECONDS");
  const int seconds = text ? std::atoi(text) : 40;
  return std::chrono::seconds(std::clamp(seconds, 5, 24 * 3600));
}

// The members a watcher's output says are in the group now.
std::set<std::string> watched_members(const std::string& out) {
  std::set<std::string> members;
  std::istringstream lines(out);
  for (std::string event, name, rest; lines >> event >> name && std::getline(lines, rest);) {
    if (event == "join" || event == "update") members.insert(name);
    if (event == "leave" || event == "expire") members.erase(name);
  }
  return members;
}

TEST(Soak, CallsStayTruthfulWhileMembersAndHubsFail) {
  constexpr auto kTimeout = 1500ms;
  constexpr auto kDrain = 1000ms;
  Cluster cluster;
  cluster.hub_endpoint(0);
  cluster.hub_endpoint(1);
  cluster.start_hub_agent(0, "hub-0", {});
  auto* hub1 = &cluster.start_hub_agent(1, "hub-1.0", {});
  const std::vector<std::string> member_flags{"--drain-timeout", std::to_string(kDrain.count())};
  // Two members that are drained (SIGTERM) or stopped, and one that is killed -9.
  std::map<std::string, int> incarnation{{"m1", 0}, {"m2", 0}, {"victim", 0}};
  std::map<std::string, Process*> running;
  auto start = [&](const std::string& role) {
    const auto name = role + "." + std::to_string(incarnation[role]++);
    running[role] = &cluster.start_agent(name, {"soak"}, member_flags);
    return name;
  };
  std::set<std::string> victims;  // every name the killed member went by
  start("m1");
  start("m2");
  victims.insert(start("victim"));
  ASSERT_TRUE(cluster.wait_for_members("soak", {"m1.0", "m2.0", "victim.0"}));
  auto& watch = cluster.rpclb_async({"members", "soak", "--watch"}, "watch");

  // The long-lived library Client, calling on a thread of its own.
  ClientOptions options;
  options.group = "soak";
  options.bus = {cluster.hub_endpoint(0), cluster.hub_endpoint(1)};
  options.timeout = kTimeout;
  options.membership_refresh = 0ms;
  auto client = Client::create(options);
  ASSERT_TRUE(client) << client.error().message;
  std::atomic<bool> soaking{true};
  std::atomic<long> client_calls{0};
  std::atomic<long> client_failures{0};
  std::atomic<long> client_worst_ms{0};
  std::thread caller([&] {
    while (soaking) {
      const auto began = Clock::now();
      auto reply = client->call("sys.echo", args(std::string("soak")));
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count();
      ++client_calls;
      if (!reply) ++client_failures;
      long worst = client_worst_ms.load();
      while (took > worst && !client_worst_ms.compare_exchange_weak(worst, took)) {
      }
      std::this_thread::sleep_for(20ms);
    }
  });

  struct Call {
    std::string request_id;
    CliResult result;
  };
  std::vector<Call> calls;
  int faults = 0;
  int drained = 0;
  long worst_cli_ms = 0;
  const auto until = Clock::now() + soak_time();
  auto next_fault = Clock::now() + 1s;
  Clock::time_point last_fault = Clock::now();
  while (Clock::now() < until) {
    const auto id = "soak-" + std::to_string(calls.size());
    auto result = cluster.rpclb(
        {"call", "soak", "sys.sleep", "20", "--timeout", std::to_string(kTimeout.count()), "--request-id", id}, 30s);
    worst_cli_ms = std::max<long>(worst_cli_ms, result.elapsed.count());
    EXPECT_LT(result.elapsed, kTimeout + 1s) << id << ": " << result.err;
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1 || result.exit_code == 4 || result.exit_code == 5)
        << id << " exit " << result.exit_code << ": " << result.err;
    calls.push_back({id, std::move(result)});
    if (Clock::now() < next_fault) continue;
    switch (faults++ % 4) {
      case 0: {  // drain a member and start it again
        auto* member = running["m1"];
        member->signal(SIGTERM);
        const auto exited = member->wait_for(kDrain + 1s);
        EXPECT_EQ(exited, 0) << "a member given SIGTERM did not exit 0 within its drain timeout + 1 s";
        ++drained;
        start("m1");
        break;
      }
      case 1:  // kill -9 and start again
        running["victim"]->signal(SIGKILL);
        running["victim"]->wait_for(5s);
        victims.insert(start("victim"));
        break;
      case 2:  // a member that hangs for a second
        running["m2"]->signal(SIGSTOP);
        std::this_thread::sleep_for(1s);
        running["m2"]->signal(SIGCONT);
        break;
      case 3:  // a hub killed and started again on its endpoint
        hub1->signal(SIGKILL);
        hub1->wait_for(5s);
        hub1 = &cluster.start_hub_agent(1, "hub-1." + std::to_string(faults), {});
        break;
    }
    last_fault = Clock::now();
    next_fault = last_fault + 1500ms;
  }

  // The watcher matches the bus within 2 s of the last fault (the members'
  // next heartbeats and the hub's snapshot), checked until it does, 10 s at most.
  std::set<std::string> listed;
  std::set<std::string> seen;
  const bool matched = Cluster::wait_until(
      [&] {
        auto members = cluster.rpclb({"members", "soak"});
        const auto names = members.lines();
        listed = std::set<std::string>(names.begin(), names.end());
        seen = watched_members(cluster.output_so_far("watch"));
        return members.exit_code == 0 && listed == seen && listed.size() == 3;
      },
      10s);
  const auto matched_after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_fault);
  EXPECT_TRUE(matched) << "watcher: " << ::testing::PrintToString(seen) << " bus: " << ::testing::PrintToString(listed);
  EXPECT_LT(matched_after, 2s + 10s);  // never hangs; the figure below says how long it took

  soaking = false;
  caller.join();
  // Still working after all that.
  bool answered = false;
  for (int attempt = 0; attempt < 5 && !answered; ++attempt)
    answered = client->call("sys.echo", args(std::string("end"))).ok();
  EXPECT_TRUE(answered) << "the long-lived Client no longer answers";
  EXPECT_LT(client_worst_ms.load(), (kTimeout + 1s).count());

  // No reply an agent sent was lost on the way.
  std::string logs;
  for (const auto& entry : std::filesystem::directory_iterator(cluster.dir())) {
    const auto file = entry.path().filename().string();
    if (!file.ends_with(".log")) continue;
    if (victims.contains(file.substr(0, file.size() - 4))) continue;
    logs += read_file(entry.path());
  }
  int lost = 0;
  int ok = 0;
  for (const auto& call : calls) {
    if (call.result.exit_code == 0) {
      ++ok;
      continue;
    }
    const bool done = logs.find("request_id=" + call.request_id + " function=sys.sleep code=ok") != std::string::npos;
    if (done && call.result.err.find("lost before the reply") != std::string::npos) {
      ++lost;
      ADD_FAILURE() << call.request_id << " ran and answered, but its caller heard: " << call.result.err;
    }
  }
  EXPECT_EQ(lost, 0);
  watch.signal(SIGINT);
  EXPECT_EQ(watch.wait_for(5s), 0);
  std::cout << "figure: soak " << soak_time().count() << " s: cli calls = " << calls.size() << " (ok " << ok
            << "), library calls = " << client_calls.load() << " (failed " << client_failures.load()
            << "), faults = " << faults << " (drains " << drained << "), worst cli call = " << worst_cli_ms
            << " ms, worst library call = " << client_worst_ms.load() << " ms (deadline " << kTimeout.count()
            << " ms), replies lost = " << lost << ", watcher matched " << matched_after.count()
            << " ms after the last fault\n";
}

}  // namespace
}  // namespace rpclb::testing
