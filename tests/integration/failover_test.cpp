// Retries, failover and waiting for members.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <thread>
#include <zmq.hpp>

#include "common/protocol.hpp"
#include "common/zmq_helpers.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

// Three agents; the hub keeps members listed long after they go silent, so a
// dead agent is still chosen and the client itself must cope.
class DeadButListed : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto three = cluster.start_three(ThreeMembers::dead_stay_listed());
    victim = three.a;
    others = {three.b, three.c};
    ASSERT_TRUE(three.listed);
  }
  void kill_victim() {
    victim->signal(SIGKILL);
    ASSERT_TRUE(victim->wait_for(5s).has_value());
    ASSERT_EQ(cluster.members("web"), (std::vector<std::string>{"a", "b", "c"}));
  }
  Cluster cluster;
  Process* victim = nullptr;
  std::vector<Process*> others;
};

TEST_F(DeadButListed, CallsFailOverToAnotherMember) {
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  for (int i = 0; i < 6; ++i) {
    // round_robin from a fresh state picks the dead "a" first, then every third call.
    auto result = cluster.rpclb({"call", "web", "sys.info", "--algorithm", "round_robin"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.json()["name"], "a");
  }
}

TEST_F(DeadButListed, FailureIsReportedWhenRetriesAreOff) {
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  auto result = cluster.rpclb({"call", "web", "sys.echo", "--algorithm", "round_robin", "--retries", "0"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_NE(result.err.find("connection refused"), std::string::npos) << result.err;
}

TEST_F(DeadButListed, AllMembersDeadIsServiceUnavailableNamingEach) {
  for (auto* other : others) {
    other->signal(SIGKILL);
    ASSERT_TRUE(other->wait_for(5s).has_value());
  }
  ASSERT_NO_FATAL_FAILURE(kill_victim());
  auto result = cluster.rpclb({"call", "web", "sys.echo", "--retries", "5"});
  EXPECT_EQ(result.exit_code, 4);
  // Each member tried once (a failed one is not chosen again), each named with why.
  for (const auto* name : {"a", "b", "c"}) {
    EXPECT_NE(result.err.find(std::string(" ") + name + ": connection refused"), std::string::npos)
        << name << ": " << result.err;
  }
}

// Timeouts and --retry-on-timeout: HangingMember in promises_test.cpp (a
// SIGSTOPped agent never completes the handshake, so it tests "not run").

TEST(Failover, DrainingAgentRefusesNewCallsAsUnavailable) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  auto& agent = cluster.start_agent("worker", {"jobs"});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"worker"}));
  auto listed = cluster.rpclb({"members", "jobs", "--json"});
  const std::string endpoint = listed.json()[0]["endpoint"];
  auto& busy = cluster.rpclb_async({"call", "jobs", "sys.sleep", "6000", "--timeout", "20000"}, "busy");
  ASSERT_TRUE(cluster.wait_for_load("jobs", 1));
  agent.signal(SIGTERM);
  ASSERT_TRUE(Cluster::wait_until([&] { return cluster.rpclb({"members", "jobs"}).exit_code == 4; }, 5000ms));

  // A caller that still knows the endpoint is refused without the call running.
  zmq::context_t context;
  auto reply = raw_echo_call(context, endpoint, std::nullopt, 2000ms);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->error.code, ErrorCode::service_unavailable);
  EXPECT_NE(reply->error.message.find("draining"), std::string::npos);

  EXPECT_EQ(cluster.collect(busy, "busy", 20s).exit_code, 0);
  EXPECT_EQ(agent.wait_for(10s), 0);
}

TEST(Failover, WaitForMemberProceedsWhenOneJoins) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  auto at_once = cluster.rpclb({"call", "late", "sys.echo", "x"});
  EXPECT_EQ(at_once.exit_code, 4);
  auto& waiting = cluster.rpclb_async({"call", "late", "sys.echo", "x", "--wait-for-member", "10000"}, "waiting");
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(waiting.running());
  cluster.start_agent("newcomer", {"late"});
  auto result = cluster.collect(waiting, "waiting", 20s);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.json(), nlohmann::json::array({"x"}));
}

TEST(Failover, WaitForMemberGivesUpAfterItsTime) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  auto result = cluster.rpclb({"select", "nobody", "--wait-for-member", "300", "--timeout", "8000"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_GE(result.elapsed, 250ms);
  EXPECT_LT(result.elapsed, 300ms + 1500ms);
}

}  // namespace
}  // namespace rpclb::testing
