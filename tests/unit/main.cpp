// The unit tests' main: GoogleTest's, plus a watchdog that names a test that
// hangs (RPCLB_TEST_HANG_LIMIT_S seconds, default 60; a unit test takes at
// most a few).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/support/hang_watchdog.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* configured = std::getenv("RPCLB_TEST_HANG_LIMIT_S");
  const auto limit = std::chrono::seconds(configured ? std::atoi(configured) : 60);
  // GoogleTest owns its listeners: it deletes this one as the program ends.
  ::testing::UnitTest::GetInstance()->listeners().Append(new rpclb::testing::HangWatchdog(limit));
  return RUN_ALL_TESTS();
}
