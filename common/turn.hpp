// Turn: one reader's share of a loop. A reader takes messages while
// `turn.more()`: at most kMessages, for at most kTime, then returns, so that
// timers (heartbeats, expiry, deadlines) and the other sockets are served
// however fast one socket fills. Poll is level-triggered: what is left is
// read next turn. The agent's reactor (agent/reactor.hpp) and a caller's
// pipeline (common/rpc_pipeline.hpp) both read in turns.
#pragma once

#include <chrono>

#include "common/clock.hpp"

namespace rpclb {

class Turn {
 public:
  static constexpr int kMessages = 64;
  static constexpr std::chrono::milliseconds kTime{10};

  // The clock is read every kClockEvery messages, not for each: a reading
  // (some 35 ns here, in a virtual machine) was one of the larger costs of a
  // small message left, and the bound needs no finer grain. A turn of slow
  // messages so runs past kTime by kClockEvery - 1 of them at most.
  static constexpr int kClockEvery = 4;

  bool more() {
    if (taken_ >= kMessages) return false;
    if (taken_++ % kClockEvery == kClockEvery - 1 && Clock::now() >= ends_) return false;
    return true;
  }

 private:
  int taken_ = 0;
  Clock::time_point ends_ = Clock::now() + kTime;
};

}  // namespace rpclb
