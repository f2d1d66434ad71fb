// Configuration files: keys, comments, and errors naming file and line
// (cli/config_file.hpp).
#include "cli/config_file.hpp"

#include <gtest/gtest.h>

namespace rpclb::cli {
namespace {

TEST(ConfigFile, ParsesKnownKeysAndNamesBadLines) {
  auto values = parse_config("# c\n[rpclb]\nbus = tcp://a:1, tcp://b:2\n\nalgorithm=round_robin\n", "f.conf");
  ASSERT_TRUE(values.ok()) << values.error().message;
  EXPECT_EQ(values->at("bus").value, "tcp://a:1, tcp://b:2");
  EXPECT_EQ(values->at("bus").origin, "f.conf line 3");
  EXPECT_EQ(values->at("algorithm").value, "round_robin");
  EXPECT_EQ(values->at("algorithm").origin, "f.conf line 5");
  auto commented = parse_config("bus = tcp://a:1 # the hub\ncurve_secret = /k#1\n", "f.conf");
  ASSERT_TRUE(commented.ok());
  EXPECT_EQ(commented->at("bus").value, "tcp://a:1");
  EXPECT_EQ(commented->at("curve_secret").value, "/k#1");
  auto unknown = parse_config("bus = x\nfoo = 1\n", "f.conf");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("f.conf line 2: unknown key 'foo'"), std::string::npos);
  auto no_equals = parse_config("bus\n", "f.conf");
  ASSERT_FALSE(no_equals.ok());
  EXPECT_EQ(no_equals.error().code, ErrorCode::bad_request);
}

}  // namespace
}  // namespace rpclb::cli
