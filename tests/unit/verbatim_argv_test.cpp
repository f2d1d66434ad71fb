// The command line's words kept as typed (cli/verbatim_argv.hpp).
#include "cli/verbatim_argv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rpclb::cli {
namespace {

// What CLI11 sees has no [a,b] word it could split; restoring gives back each
// word as typed, and "--" ends what CLI11 sees for call and cast.
TEST(VerbatimArgv, HidesListsFromTheParserAndRestoresThem) {
  const char* argv[] = {"rpclb", "call", "g", "f", "[1,2]", "\x1fsneaky", "x", "--", "--json", "[a]"};
  VerbatimArgv words(10, argv, VerbatimArgv::AfterDoubleDash::keep_as_arguments);
  ASSERT_EQ(words.argc(), 7);
  std::vector<std::string> seen(words.argv() + 1, words.argv() + words.argc());
  EXPECT_EQ(seen[0], "call");
  EXPECT_NE(seen[3], "[1,2]");
  EXPECT_NE(seen[4], "\x1fsneaky");
  EXPECT_EQ(seen[5], "x");
  words.restore(seen);
  EXPECT_EQ(seen, (std::vector<std::string>{"call", "g", "f", "[1,2]", "\x1fsneaky", "x"}));
  EXPECT_EQ(words.arguments_after_double_dash(), (std::vector<std::string>{"--json", "[a]"}));
  EXPECT_EQ(words.restored_text("not expected: " + std::string(words.argv()[4])), "not expected: [1,2]");

  VerbatimArgv parsed(10, argv, VerbatimArgv::AfterDoubleDash::parse);
  EXPECT_EQ(parsed.argc(), 10);
  EXPECT_TRUE(parsed.arguments_after_double_dash().empty());
}

}  // namespace
}  // namespace rpclb::cli
