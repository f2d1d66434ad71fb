#include <gtest/gtest.h>

#include <set>

#include "lib/selection.hpp"
#include "tests/unit/lib/fake_parts.hpp"

namespace rpclb {
namespace {

using testing::FakeBus;
using testing::make_parts;
using testing::members;
using testing::names;
using testing::PartsSettings;

Result<std::vector<Member>> choose(BalancerParts& parts, std::size_t count, Purpose purpose = Purpose::select) {
  auto found = parts.candidates.find(testing::later(), {});
  if (!found) return found.error();
  return parts.selector.choose(parts.memory, *found, count, std::nullopt, purpose, testing::later());
}

void eject(BalancerParts& parts, const std::string& name) {
  const auto who = testing::member(name);
  ASSERT_TRUE(parts.memory
                  .update(Purpose::first_attempt,
                          [&](state::BalancerState& state) -> Status {
                            parts.memory.outliers().failed(state, who, Failure::unreachable, state.chooser().now);
                            return {};
                          })
                  .ok());
}

TEST(Selector, RoundRobinGoesRoundTheMembersInTurn) {
  FakeBus bus{members({"a", "b", "c"})};
  auto parts = make_parts(bus);
  std::vector<std::string> chosen;
  for (int i = 0; i < 6; ++i) chosen.push_back(choose(parts, 1)->front().name);
  EXPECT_EQ(std::set<std::string>(chosen.begin(), chosen.begin() + 3), (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(std::vector<std::string>(chosen.begin(), chosen.begin() + 3),
            std::vector<std::string>(chosen.begin() + 3, chosen.end()));
}

// Every list discovery returns is chosen from as it is: a policy that keeps
// what it worked out for one list (least_cpu, keyed on the Selection's
// load_version) sees the next list's figures.
TEST(Selector, EachListDiscoveryReturnsIsChosenFromAsItIs) {
  auto group = members({"a", "b"});
  group[0].cpu = 100;
  group[1].cpu = 900;
  FakeBus bus{group};
  PartsSettings settings;
  settings.algorithm = "least_cpu";
  auto parts = make_parts(bus, settings);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(choose(parts, 1)->front().name, "a");
  std::swap(bus.group[0].cpu, bus.group[1].cpu);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(choose(parts, 1)->front().name, "b");
}

TEST(Selector, AMemberEjectedOnThisHostIsPassedOverAndNamedWhenTraced) {
  FakeBus bus{members({"a", "b", "c"})};
  PartsSettings settings;
  settings.on_attempt = [](const AttemptReport&) {};
  auto parts = make_parts(bus, settings);
  eject(parts, "b");
  for (int i = 0; i < 6; ++i) {
    auto chosen = choose(parts, 1, Purpose::first_attempt);
    ASSERT_TRUE(chosen.ok());
    EXPECT_NE(chosen->front().name, "b");
    EXPECT_EQ(parts.selector.take_skipped(), std::vector<std::string>{"b"});
  }
}

TEST(Selector, NeverPassesOverMoreThanTheAllowedShare) {
  FakeBus bus{members({"a", "b"})};
  auto parts = make_parts(bus);  // 50%: one of two at most
  eject(parts, "a");
  eject(parts, "b");
  auto chosen = choose(parts, 2);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->size(), 1u);
}

TEST(Selector, ARetryIsRefusedOnceTheHostsRetryBudgetIsSpent) {
  FakeBus bus{members({"a", "b"})};
  PartsSettings settings;
  settings.failure_memory.retry_budget_percent = 0;
  settings.failure_memory.min_retries_per_second = 0;
  auto parts = make_parts(bus, settings);
  ASSERT_TRUE(choose(parts, 1, Purpose::first_attempt).ok());
  auto retry = choose(parts, 1, Purpose::retry);
  ASSERT_FALSE(retry.ok());
  EXPECT_EQ(retry.error().code, ErrorCode::service_unavailable);
  EXPECT_EQ(retry.error().message, "the retry budget of this host's callers is spent");
}

TEST(Release, GivesBackAHeldSelectionOnceAndSaysWhenThereWasNone) {
  FakeBus bus{members({"a"})};
  PartsSettings settings;
  settings.algorithm = "least_connections";
  auto parts = make_parts(bus, settings);
  ASSERT_TRUE(choose(parts, 1).ok());
  auto held = remembered(parts.memory);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->outstanding.at("a"), 1);
  EXPECT_EQ(release(parts.memory, "a").value(), true);
  EXPECT_EQ(release(parts.memory, "a").value(), false);
  EXPECT_EQ(release(parts.memory, "").error().code, ErrorCode::bad_request);
}

TEST(Remembered, ShowsWhoIsEjectedAndUntilWhen) {
  FakeBus bus{members({"a", "b"})};
  auto parts = make_parts(bus);
  const auto before = state::wall_now();
  eject(parts, "a");
  auto memory = remembered(parts.memory);
  ASSERT_TRUE(memory.ok());
  ASSERT_EQ(memory->ejected_until.size(), 1u);
  EXPECT_GE(memory->ejected_until.at("a"), before + 1000);  // eject_base
}

}  // namespace
}  // namespace rpclb
