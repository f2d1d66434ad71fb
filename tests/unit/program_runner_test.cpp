#include "agent/program_runner.hpp"

#include <gtest/gtest.h>

namespace rpclb::agent {
namespace {

using namespace std::chrono_literals;

ProgramLimits limits(std::chrono::milliseconds budget, std::size_t cap = 1 << 20) {
  return {std::chrono::steady_clock::now() + budget, cap};
}

TEST(ProgramRunner, ShellMetacharactersArePassedLiterally) {
  const std::vector<std::string> argv{"/usr/bin/printf", "%s|", "a;b", "$(id)", "`id`", "'q'", "\"dq\"", "x y"};
  auto outcome = run_program(argv, limits(5s), {});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(outcome->stdout_text, "a;b|$(id)|`id`|'q'|\"dq\"|x y|");
}

TEST(ProgramRunner, ReportsExitCodeAndStderr) {
  auto outcome = run_program({"/bin/sh", "-c", "echo oops >&2; exit 3"}, limits(5s), {});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->exit_code, 3);
  EXPECT_EQ(outcome->stderr_text, "oops\n");
}

TEST(ProgramRunner, KillsAProgramThatOutlivesItsLimit) {
  const auto started = std::chrono::steady_clock::now();
  auto outcome = run_program({"/bin/sleep", "30"}, limits(200ms), {});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, ErrorCode::request_timeout);
  // Behaviour, not a benchmark: it did not wait for the 30 s sleep.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(ProgramRunner, CapsOutputAndSaysSo) {
  auto outcome = run_program({"/bin/sh", "-c", "head -c 100000 /dev/zero"}, limits(5s, 1000), {});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->stdout_text.size(), 1000u);
  EXPECT_TRUE(outcome->truncated);
  EXPECT_EQ(outcome->exit_code, 0);
}

TEST(ProgramRunner, MissingProgramIsInternal) {
  auto outcome = run_program({"/nonexistent/program"}, limits(5s), {});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, ErrorCode::internal);
}

TEST(ProgramRunner, StopsWhenTheAgentStops) {
  std::stop_source stop;
  stop.request_stop();
  auto outcome = run_program({"/bin/sleep", "30"}, limits(30s), stop.get_token());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, ErrorCode::internal);
}

}  // namespace
}  // namespace rpclb::agent
