#include <gtest/gtest.h>

#include "lib/outlier_detection.hpp"
#include "lib/retry_budget.hpp"
#include "tests/unit/algorithms/fixtures.hpp"

namespace rpclb {
namespace {

using algorithms::testing::members;
using state::BalancerState;

Member member(const std::string& name) {
  Member info;
  info.name = name;
  return info;
}

std::vector<std::string> names(std::span<const Member> list) {
  std::vector<std::string> out;
  for (const auto& member : list) out.push_back(member.name);
  return out;
}

TEST(OutlierDetection, AnUnreachableMemberIsEjectedForTimesThatDoubleUpToTheMost) {
  FailureMemory settings;
  settings.eject_base = std::chrono::milliseconds(1000);
  settings.eject_max = std::chrono::milliseconds(5000);
  const OutlierDetection outliers(settings);
  BalancerState state;
  std::vector<std::int64_t> lengths;
  for (int i = 0; i < 5; ++i) {
    outliers.failed(state, member("node-1"), Failure::unreachable, 100'000);
    lengths.push_back(state.ejection("node-1").until - 100'000);
  }
  EXPECT_EQ(lengths, (std::vector<std::int64_t>{1000, 2000, 4000, 5000, 5000}));
  EXPECT_EQ(outliers.ejected_until(state.ejection("node-1"), 100'000), 105'000);
  EXPECT_EQ(outliers.ejected_until(state.ejection("node-1"), 105'000), 0);  // over
  // A clock set back a day does not make it a day long.
  EXPECT_EQ(outliers.ejected_until(state.ejection("node-1"), 100'000 - 86'400'000), 100'000 - 86'400'000 + 5000);
  outliers.answered(state, member("node-1"));
  EXPECT_TRUE(state.ejections().empty());
}

TEST(OutlierDetection, TimeoutsEjectOnlyWhenTheyComeInARow) {
  FailureMemory settings;
  settings.eject_after_timeouts = 3;
  const OutlierDetection outliers(settings);
  BalancerState state;
  outliers.failed(state, member("node-1"), Failure::timeout, 0);
  outliers.failed(state, member("node-1"), Failure::timeout, 0);
  EXPECT_EQ(state.ejection("node-1").until, 0);
  outliers.answered(state, member("node-1"));
  outliers.failed(state, member("node-1"), Failure::timeout, 0);
  outliers.failed(state, member("node-1"), Failure::timeout, 0);
  EXPECT_EQ(state.ejection("node-1").until, 0);
  outliers.failed(state, member("node-1"), Failure::timeout, 0);
  EXPECT_EQ(state.ejection("node-1").until, 1000);
  EXPECT_EQ(state.ejection("node-1").timeouts, 0);
}

TEST(OutlierDetection, NeverSkipsMoreThanItsShareNorEveryone) {
  FailureMemory settings;
  settings.max_ejected_percent = 50;
  const OutlierDetection outliers(settings);
  BalancerState state;
  std::vector<Member> kept;
  // node-0 back soonest, node-2 last.
  outliers.failed(state, member("node-2"), Failure::unreachable, 300);
  outliers.failed(state, member("node-0"), Failure::unreachable, 100);
  outliers.failed(state, member("node-1"), Failure::unreachable, 200);
  // Of four, two may be skipped: the two back last.
  EXPECT_EQ(names(outliers.without_ejected(members(4), state, 150, kept)),
            (std::vector<std::string>{"node-0", "node-3"}));
  // Of two, one (at least one may always be skipped).
  EXPECT_EQ(names(outliers.without_ejected(members(2), state, 150, kept)), (std::vector<std::string>{"node-0"}));
  // Of one, none: someone must be asked.
  EXPECT_EQ(names(outliers.without_ejected(members(1), state, 150, kept)), (std::vector<std::string>{"node-0"}));
  // Past their time, all are back.
  EXPECT_EQ(outliers.without_ejected(members(4), state, 5000, kept).size(), 4u);
}

TEST(OutlierDetection, ARestartedMemberOwesNothing) {
  const OutlierDetection outliers{FailureMemory{}};
  BalancerState state;
  auto group = members(2);
  group[1].instance = "first-run";
  outliers.failed(state, group[1], Failure::unreachable, 0);
  state.retain_only(group);
  EXPECT_EQ(state.ejection("node-1").ejections, 1);
  group[1].instance = "second-run";
  state.retain_only(group);
  EXPECT_TRUE(state.ejections().empty());
}

TEST(OutlierDetection, ZeroPercentTurnsItOff) {
  FailureMemory settings;
  settings.max_ejected_percent = 0;
  const OutlierDetection outliers(settings);
  BalancerState state;
  outliers.failed(state, member("node-0"), Failure::unreachable, 0);
  EXPECT_TRUE(state.ejections().empty());
}

TEST(RetryBudget, RetriesAreAShareOfRecentCallsAboveAFloor) {
  FailureMemory settings;
  settings.retry_budget_percent = 20;
  settings.min_retries_per_second = 1;  // ten in the window
  const RetryBudget budget(settings);
  BalancerState state;
  const std::int64_t now = 1'000'000;
  int allowed = 0;
  while (budget.try_retry(state, now) && allowed < 1000) ++allowed;
  EXPECT_EQ(allowed, 10);  // the floor alone
  for (int i = 0; i < 100; ++i) budget.count_call(state, now);
  while (budget.try_retry(state, now) && allowed < 1000) ++allowed;
  EXPECT_EQ(allowed, 20);  // a fifth of 100 calls
  // Ten seconds on, the window has moved past them all.
  EXPECT_TRUE(budget.try_retry(state, now + 10'000));
}

}  // namespace
}  // namespace rpclb
