#include "common/match_filter.hpp"

#include <gtest/gtest.h>

namespace rpclb {
namespace {

TEST(MatchFilter, NoPatternsMatchEverything) {
  auto filter = MatchFilter::parse({});
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->matches("anything"));
}

TEST(MatchFilter, NamesAreExactNotSubstrings) {
  auto filter = MatchFilter::parse({"web-1"});
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->matches("web-1"));
  EXPECT_FALSE(filter->matches("web-10"));
  EXPECT_FALSE(filter->matches("qa-web-1"));
  EXPECT_FALSE(filter->matches("web"));
}

TEST(MatchFilter, RegexMustMatchTheWholeName) {
  auto filter = MatchFilter::parse({"/web-[0-9]/"});
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->matches("web-1"));
  EXPECT_FALSE(filter->matches("web-10"));
  EXPECT_FALSE(filter->matches("web-1_qa"));
  auto partial = MatchFilter::parse({"/.*web.*/"});
  ASSERT_TRUE(partial.ok());
  EXPECT_TRUE(partial->matches("qa-web-1"));
}

TEST(MatchFilter, AnyPatternMayMatch) {
  auto filter = MatchFilter::parse({"db-1", "/cache-.*/"});
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->matches("db-1"));
  EXPECT_TRUE(filter->matches("cache-eu"));
  EXPECT_FALSE(filter->matches("db-2"));
}

TEST(MatchFilter, ApplyKeepsOrder) {
  auto filter = MatchFilter::parse({"/a.*/"});
  ASSERT_TRUE(filter.ok());
  std::vector<Member> members(4);
  members[0].name = "a1";
  members[1].name = "b1";
  members[2].name = "a2";
  members[3].name = "ba";
  auto kept = filter->apply(members);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].name, "a1");
  EXPECT_EQ(kept[1].name, "a2");
}

TEST(MatchFilter, BadPatternsAreBadRequests) {
  for (const auto& pattern : {std::string("/[unclosed/"), std::string("/(/"), std::string("")}) {
    auto filter = MatchFilter::parse({pattern});
    ASSERT_FALSE(filter.ok()) << pattern;
    EXPECT_EQ(filter.error().code, ErrorCode::bad_request);
  }
}

// RE2: linear time, no recursion. std::regex took minutes on the first and
// overflowed its stack on the second.
TEST(MatchFilter, PathologicalPatternsAndLongNamesStayFast) {
  auto nested = MatchFilter::parse({"/(a+)+$/"});
  ASSERT_TRUE(nested.ok());
  EXPECT_FALSE(nested->matches(std::string(41, 'a') + "!"));
  auto any = MatchFilter::parse({"/.*/"});
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->matches(std::string(50000, 'x')));
}

TEST(MatchFilter, CaseFlagAndMalformedRegexes) {
  auto caseless = MatchFilter::parse({"/WEB-1/i"});
  ASSERT_TRUE(caseless.ok());
  EXPECT_TRUE(caseless->matches("web-1"));
  EXPECT_FALSE(caseless->matches("web-10"));
  for (const auto* bad : {"/web/g", "/", "/web", "/(unclosed/", "/(a)\\1/"}) {
    auto parsed = MatchFilter::parse({bad});
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::bad_request);
  }
}

}  // namespace
}  // namespace rpclb
