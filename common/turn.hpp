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

  bool more() { return taken_++ < kMessages && Clock::now() < ends_; }

 private:
  int taken_ = 0;
  Clock::time_point ends_ = Clock::now() + kTime;
};

}  // namespace rpclb
