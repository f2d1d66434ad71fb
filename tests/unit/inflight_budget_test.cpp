// The agent's memory budget (agent/inflight_budget.hpp) and the fair queue
// its requests wait in (agent/fair_queue.hpp), without sockets.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/fair_queue.hpp"
#include "agent/inflight_budget.hpp"

namespace rpclb::agent {
namespace {

using Verdict = InflightBudget::Verdict;
constexpr std::uint64_t kMiB = 1 << 20;

TEST(InflightBudget, CountsWhatIsHeldUntilItGoes) {
  InflightBudget budget(100 * kMiB);
  {
    auto request = budget.hold("a", 3 * kMiB);
    auto reply = budget.hold("b", 2 * kMiB);
    EXPECT_EQ(budget.held(), 5 * kMiB);
    auto moved = std::move(request);
    EXPECT_EQ(budget.held(), 5 * kMiB);  // moved, not released
    reply = InflightBudget::Held();      // replaced: released
    EXPECT_EQ(budget.held(), 3 * kMiB);
  }
  EXPECT_EQ(budget.held(), 0u);
}

TEST(InflightBudget, ARequestThatDoesNotFitInWhatIsLeftIsRefused) {
  InflightBudget budget(10 * kMiB);
  // Held by five connections, 1.6 MiB each, each under its share (10/6 MiB).
  std::vector<InflightBudget::Held> held;
  for (const char* connection : {"a", "b", "c", "d", "e"}) held.push_back(budget.hold(connection, 16 * kMiB / 10));
  EXPECT_EQ(budget.admit("f", 3 * kMiB).verdict, Verdict::over_budget);  // 8 MiB held + this > 10
  EXPECT_EQ(budget.admit("f", kMiB).verdict, Verdict::fits);
}

TEST(InflightBudget, OneConnectionMayHoldItsShareAndNoMore) {
  InflightBudget budget(12 * kMiB);
  // Alone, a connection may hold half: one share is kept for a newcomer.
  auto first = budget.hold("flooder", 5 * kMiB);
  EXPECT_EQ(budget.admit("flooder", kMiB).verdict, Verdict::fits);
  EXPECT_EQ(budget.admit("flooder", kMiB + 1).verdict, Verdict::over_share);
  // A newcomer gets its share (12/3 = 4 MiB) even so...
  EXPECT_EQ(budget.admit("newcomer", 4 * kMiB).verdict, Verdict::fits);
  auto second = budget.hold("newcomer", kMiB);
  // ...and with two holding, the flooder's share has shrunk to 4 MiB.
  EXPECT_EQ(budget.admit("flooder", 1).verdict, Verdict::over_share);
  first = InflightBudget::Held();
  EXPECT_EQ(budget.admit("flooder", 4 * kMiB).verdict, Verdict::fits);
}

TEST(InflightBudget, AnAdmittedRequestAndItsReplyAreCountedForItsConnection) {
  InflightBudget budget(12 * kMiB);
  auto request = budget.admit("a", 2 * kMiB);
  ASSERT_EQ(request.verdict, Verdict::fits);
  EXPECT_EQ(budget.held(), 2 * kMiB);  // counted from its admission
  auto reply = request.held.more(3 * kMiB);
  EXPECT_EQ(budget.held(), 5 * kMiB);
  // "a" holds 5 MiB of its share (12/2 = 6): the reply counts as its own.
  EXPECT_EQ(budget.admit("a", 2 * kMiB).verdict, Verdict::over_share);
  EXPECT_EQ(budget.admit("b", 2 * kMiB).verdict, Verdict::fits);
  request.held = InflightBudget::Held();
  EXPECT_EQ(budget.held(), 3 * kMiB);
  reply = InflightBudget::Held();
  EXPECT_EQ(budget.held(), 0u);
}

TEST(InflightBudget, ManyFloodersLeaveAShareForAnotherCaller) {
  InflightBudget budget(64 * kMiB);
  std::vector<InflightBudget::Held> held;
  // Twenty connections each take all they are admitted, 1 MiB at a time.
  for (int round = 0; round < 64; ++round) {
    for (int flooder = 0; flooder < 20; ++flooder) {
      const auto name = "flooder-" + std::to_string(flooder);
      if (auto admitted = budget.admit(name, kMiB); admitted.verdict == Verdict::fits) {
        EXPECT_EQ(admitted.held.bytes(), kMiB);
        held.push_back(std::move(admitted.held));
      }
    }
  }
  EXPECT_LE(budget.held(), budget.limit());
  EXPECT_EQ(budget.admit("another", 64 * 1024).verdict, Verdict::fits);
}

TEST(InflightBudget, ReleasedFromAnotherThreadAsZeroMQFreesAReply) {
  InflightBudget budget(100 * kMiB);
  auto reply = budget.hold("a", 7 * kMiB);
  std::thread io([held = std::move(reply)]() mutable { held = InflightBudget::Held(); });
  io.join();
  EXPECT_EQ(budget.held(), 0u);
  EXPECT_EQ(budget.admit("b", 50 * kMiB).verdict, Verdict::fits);  // "a" holds nothing: one holder, half the budget
}

TEST(InflightBudget, SweepCountsConnectionsRefusedForTheirShareThenForgetsThem) {
  InflightBudget budget(4 * kMiB);
  auto held = budget.hold("a", 2 * kMiB);
  EXPECT_EQ(budget.admit("a", kMiB).verdict, Verdict::over_share);
  EXPECT_EQ(budget.connections_at_share(), 0u);  // counted at the sweep
  budget.sweep();
  EXPECT_EQ(budget.connections_at_share(), 1u);
  budget.sweep();
  EXPECT_EQ(budget.connections_at_share(), 0u);  // not refused since
}

TEST(InflightBudget, RemembersThePeakBetweenTwoLooks) {
  InflightBudget budget(100 * kMiB);
  {
    auto burst = budget.hold("a", 30 * kMiB);
    auto more = budget.hold("b", 10 * kMiB);
  }
  auto still = budget.hold("c", kMiB);
  EXPECT_EQ(budget.take_peak(), 40 * kMiB);  // the burst, gone before the look
  EXPECT_EQ(budget.take_peak(), kMiB);       // since then: what was held at the last look
}

TEST(FairQueue, TakesFromEachConnectionInTurnAndInOrderWithinOne) {
  FairQueue<int> queue;
  for (int i = 1; i <= 3; ++i) queue.push("flooder", i);
  queue.push("other", 100);
  queue.push("third", 200);
  EXPECT_EQ(queue.size(), 5u);
  std::vector<int> taken;
  while (auto next = queue.pop()) taken.push_back(*next);
  // The other connections wait one round at most behind the flooder's backlog.
  EXPECT_EQ(taken, (std::vector<int>{1, 100, 200, 2, 3}));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.pop(), std::nullopt);
}

TEST(FairQueue, AConnectionThatComesBackJoinsTheEndOfTheRound) {
  FairQueue<int> queue;
  queue.push("a", 1);
  queue.push("b", 2);
  EXPECT_EQ(queue.pop(), 1);
  queue.push("a", 3);  // "a" had nothing left: it waits behind "b"
  EXPECT_EQ(queue.pop(), 2);
  EXPECT_EQ(queue.pop(), 3);
}

TEST(FairQueue, ConnectionsThatComeAndGoAreEachServedInTurn) {
  // Forty connections, more than the queues it keeps once empty, in four
  // rounds: every round lets go of the idle queues part way through.
  FairQueue<int> queue;
  for (int round = 0; round < 4; ++round) {
    std::vector<int> pushed;
    for (int connection = 0; connection < 40; ++connection) {
      for (int item = 0; item < 2; ++item) {
        queue.push("connection-" + std::to_string(connection), round * 1000 + connection * 10 + item);
      }
    }
    for (int item = 0; item < 2; ++item) {
      for (int connection = 0; connection < 40; ++connection) pushed.push_back(round * 1000 + connection * 10 + item);
    }
    std::vector<int> taken;
    while (auto next = queue.pop()) taken.push_back(*next);
    EXPECT_EQ(taken, pushed) << "round " << round;
    EXPECT_TRUE(queue.empty());
  }
}

}  // namespace
}  // namespace rpclb::agent
