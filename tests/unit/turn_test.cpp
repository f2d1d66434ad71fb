// Turn (common/turn.hpp): a reader's share of a loop, bounded in messages
// and in time.
#include "common/turn.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace rpclb {
namespace {

TEST(Turn, TakesAtMostItsMessages) {
  Turn turn;
  int taken = 0;
  // Bounded here too: a turn without its bound must fail, not hang.
  while (taken < 2 * Turn::kMessages && turn.more()) ++taken;
  EXPECT_EQ(taken, Turn::kMessages);
  EXPECT_FALSE(turn.more());  // and stays ended
}

TEST(Turn, EndsSoonAfterItsTimeWhenMessagesAreSlow) {
  // Each message takes a third of the turn's time or more (a sleep never
  // returns early), so the turn ends within the few messages past kTime it
  // takes before it next reads the clock.
  Turn turn;
  int taken = 0;
  while (taken < 20 && turn.more()) {
    ++taken;
    std::this_thread::sleep_for(Turn::kTime / 3);
  }
  EXPECT_GE(taken, 1);
  EXPECT_LE(taken, 3 + Turn::kClockEvery);
}

}  // namespace
}  // namespace rpclb
