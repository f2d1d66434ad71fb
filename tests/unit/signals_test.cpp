// SignalFd: SIGTERM and SIGINT arrive through its descriptor while the loop
// runs, and once the owner tears down, the next one ends the process at once.
#include "common/signals.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/unit/bounded_child.hpp"

namespace rpclb {
namespace {

using namespace std::chrono_literals;

TEST(SignalFd, ASignalIsReadNotFatalWhileTheLoopRuns) {
  const int status = testing::run_bounded(
      [] {
        SignalFd signals;
        ::kill(::getpid(), SIGTERM);
        for (int i = 0; i < 100; ++i) {
          if (signals.take() == "SIGTERM") return 0;
          std::this_thread::sleep_for(10ms);
        }
        return 1;
      },
      10s);
  EXPECT_EQ(status, 0);
}

TEST(SignalFd, TheNextSignalDuringTeardownEndsTheProcessAtOnce) {
  const int status = testing::run_bounded(
      [] {
        SignalFd signals;
        signals.tearing_down();
        ::kill(::getpid(), SIGTERM);
        std::this_thread::sleep_for(30s);  // a teardown that is stuck
        return 0;
      },
      10s);
  EXPECT_EQ(status, 128 + SIGTERM) << "0 or -1: the signal did not end the stuck teardown";
}

TEST(SignalFd, ATeardownThatEndsNormallyIsNotCutShort) {
  const int status = testing::run_bounded(
      [] {
        {
          SignalFd signals;
          signals.tearing_down();
        }
        return 7;
      },
      10s);
  EXPECT_EQ(status, 7);
}

}  // namespace
}  // namespace rpclb
