#include <gtest/gtest.h>

#include "lib/candidates.hpp"
#include "tests/unit/lib/fake_parts.hpp"

namespace rpclb {
namespace {

using testing::FakeBus;
using testing::members;
using testing::names;

CandidateFinder finder(FakeBus& bus, std::vector<std::string> match = {},
                       CandidateSettings settings = {"web", {}, {}}) {
  auto filter = MatchFilter::parse(match);
  EXPECT_TRUE(filter.ok());
  return CandidateFinder(std::move(settings), std::move(filter).value(), bus.discover());
}

TEST(CandidateFinder, MatchNarrowsTheGroupAndTheExcludedAreLeftOut) {
  FakeBus bus{members({"a", "b", "c", "db-1"})};
  auto candidates = finder(bus, {"a", "/[bc]/"});
  auto found = candidates.find(testing::later(), {"a"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(names(found->matching()), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(found->group->size(), 4u);  // the whole group stays known
}

TEST(CandidateFinder, WithNothingFilteredOutTheMatchingMembersAreTheGroupItself) {
  FakeBus bus{members({"a", "b"})};
  auto candidates = finder(bus);
  auto found = candidates.find(testing::later(), {});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->whole_group);
  EXPECT_EQ(found->matching().data(), found->group->data());
}

TEST(CandidateFinder, AGroupSeenWithinTheRefreshIsNotAskedForAgain) {
  FakeBus bus{members({"a"})};
  auto cached = finder(bus, {}, {"web", std::chrono::hours(1), {}});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cached.find(testing::later(), {}).ok());
  EXPECT_EQ(bus.asked, 1);

  FakeBus fresh_bus{members({"a"})};
  auto uncached = finder(fresh_bus);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(uncached.find(testing::later(), {}).ok());
  EXPECT_EQ(fresh_bus.asked, 3);
}

TEST(CandidateFinder, WaitsForAMemberToJoinWhenNobodyMatches) {
  FakeBus bus;
  bus.on_ask = [](FakeBus& self) {
    if (self.asked == 3) self.group = members({"late"});
  };
  auto candidates = finder(bus, {}, {"web", {}, std::chrono::seconds(10)});
  auto found = candidates.find(testing::later(), {});
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(names(found->matching()), (std::vector<std::string>{"late"}));
  EXPECT_EQ(bus.asked, 3);
}

TEST(CandidateFinder, ARetryNeverWaitsForAMemberToJoin) {
  FakeBus bus{members({"a"})};
  auto candidates = finder(bus, {}, {"web", {}, std::chrono::seconds(10)});
  auto found = candidates.find(testing::later(), {"a"});
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, ErrorCode::service_unavailable);
  EXPECT_EQ(found.error().message, "no member of group web could take the request");
  EXPECT_EQ(bus.asked, 1);
}

TEST(CandidateFinder, NobodyMatchingNamesTheGroupAndTheFilter) {
  FakeBus bus{members({"a"})};
  auto filtered = finder(bus, {"b"});
  auto found = filtered.find(testing::later(), {});
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().message, "no members in group web matching --match");
  auto now = filtered.find_now(testing::later(), {});
  ASSERT_TRUE(now.ok());  // find_now reports nobody as an empty list
  EXPECT_TRUE(now->matching().empty());

  FakeBus empty;
  EXPECT_EQ(finder(empty).find(testing::later(), {}).error().message, "no members in group web");
}

TEST(CandidateFinder, AGroupWithoutANameIsRefusedBeforeTheBusIsAsked) {
  FakeBus bus{members({"a"})};
  auto candidates = finder(bus, {}, {"", {}, {}});
  auto found = candidates.find(testing::later(), {});
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, ErrorCode::bad_request);
  EXPECT_EQ(bus.asked, 0);
}

}  // namespace
}  // namespace rpclb
