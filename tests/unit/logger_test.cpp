#include "agent/logger.hpp"

#include <gtest/gtest.h>

namespace rpclb::agent {
namespace {

TEST(LogLine, IsPriorityThenLogfmtPairs) {
  EXPECT_EQ(format_log_line(LogLevel::info, "hub", "member_joined", {{"member", "adder-1"}, {"groups", "a,b"}}),
            "<6>level=info node=hub event=member_joined member=adder-1 groups=a,b");
  EXPECT_EQ(format_log_line(LogLevel::error, "n", "e", {}), "<3>level=error node=n event=e");
  EXPECT_EQ(format_log_line(LogLevel::warn, "n", "e", {}), "<4>level=warn node=n event=e");
  EXPECT_EQ(format_log_line(LogLevel::debug, "n", "e", {}), "<7>level=debug node=n event=e");
}

TEST(LogLine, QuotesValuesThatWouldBreakThePairs) {
  EXPECT_EQ(format_log_line(LogLevel::info, "n", "e", {{"error", "has no function x.y"}}),
            R"(<6>level=info node=n event=e error="has no function x.y")");
  EXPECT_EQ(format_log_line(LogLevel::info, "n", "e", {{"key", ""}}), R"(<6>level=info node=n event=e key="")");
  EXPECT_EQ(format_log_line(LogLevel::info, "n", "e", {{"v", "a=b"}}), R"(<6>level=info node=n event=e v="a=b")");
  // A value from the wire cannot forge a second line or a closing quote.
  EXPECT_EQ(format_log_line(LogLevel::info, "n", "e", {{"v", "x\"\n<3>level=error \\\t\x01"}}),
            R"(<6>level=info node=n event=e v="x\"\n<3>level=error \\\t\u0001")");
  EXPECT_EQ(format_log_line(LogLevel::info, "my node", "e", {}), R"(<6>level=info node="my node" event=e)");
}

TEST(LogLevels, ParseByNameOnly) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("WARN"), std::nullopt);
  EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
  Logger quiet("n", LogLevel::warn);
  EXPECT_TRUE(quiet.enabled(LogLevel::error));
  EXPECT_TRUE(quiet.enabled(LogLevel::warn));
  EXPECT_FALSE(quiet.enabled(LogLevel::info));
}

}  // namespace
}  // namespace rpclb::agent
