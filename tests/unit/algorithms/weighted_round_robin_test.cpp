#include "algorithms/weighted_round_robin/weighted_round_robin.hpp"

#include "tests/unit/algorithms/fixtures.hpp"

namespace rpclb::algorithms::testing {
namespace {

std::vector<protocol::MemberInfo> weighted(const std::vector<std::uint32_t>& values) {
  return with_each(&protocol::MemberInfo::weight, values);
}

std::vector<std::size_t> picks(SelectionAlgorithm& wrr, const std::vector<protocol::MemberInfo>& nodes, int count,
                               Picker& picker) {
  std::vector<std::size_t> out;
  for (int i = 0; i < count; ++i) out.push_back(picker.one(wrr, nodes));
  return out;
}

TEST(WeightedRoundRobin, IsSmoothLikeNginx) {
  auto wrr = make("weighted_round_robin");
  Picker picker;
  // nginx's own example: {a:5, b:1, c:1} gives a a b a c a a.
  EXPECT_EQ(picks(*wrr, weighted({5, 1, 1}), 7, picker), (std::vector<std::size_t>{0, 0, 1, 0, 2, 0, 0}));
  Picker other;
  EXPECT_EQ(picks(*wrr, weighted({3, 1}), 4, other), (std::vector<std::size_t>{0, 0, 1, 0}));
}

TEST(WeightedRoundRobin, EachCycleIsExactlyProportional) {
  auto wrr = make("weighted_round_robin");
  Picker picker;
  const auto nodes = weighted({3, 2, 1, 4});
  for (int cycle = 0; cycle < 5; ++cycle) {
    std::vector<int> counts(4, 0);
    for (auto index : picks(*wrr, nodes, 10, picker)) ++counts[index];
    EXPECT_EQ(counts, (std::vector<int>{3, 2, 1, 4})) << "cycle " << cycle;
  }
}

TEST(WeightedRoundRobin, HeavyNodesAreInterleavedNotBunched) {
  auto wrr = make("weighted_round_robin");
  Picker picker;
  // 4:4:1 -- a plain expansion would run a a a a b b b b c.
  const auto sequence = picks(*wrr, weighted({4, 4, 1}), 9, picker);
  for (std::size_t i = 1; i < sequence.size(); ++i) EXPECT_NE(sequence[i], sequence[i - 1]) << i;
}

TEST(WeightedRoundRobin, CallerOverridesAnnouncedWeights) {
  auto parsed = WeightedRoundRobinAlgorithm::parse_weights("node-1:3,ghost:9");
  ASSERT_TRUE(parsed.ok());
  WeightedRoundRobinAlgorithm wrr(*parsed);
  Picker picker;
  std::vector<int> counts(2, 0);
  for (auto index : picks(wrr, weighted({1, 1}), 8, picker)) ++counts[index];
  EXPECT_EQ(counts, (std::vector<int>{2, 6}));
}

TEST(WeightedRoundRobin, PositionSurvivesAcrossInstances) {
  const auto nodes = weighted({5, 1, 1});
  Picker picker;
  std::vector<std::size_t> sequence;
  for (int i = 0; i < 7; ++i) sequence.push_back(picker.one(*make("weighted_round_robin"), nodes));
  EXPECT_EQ(sequence, (std::vector<std::size_t>{0, 0, 1, 0, 2, 0, 0}));
}

TEST(WeightedRoundRobin, ScheduleReducesByCommonFactor) {
  auto big = WeightedRoundRobinAlgorithm::smooth_schedule({200, 100});
  auto small = WeightedRoundRobinAlgorithm::smooth_schedule({2, 1});
  ASSERT_TRUE(big.ok());
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(*big, *small);
  EXPECT_EQ(big->size(), 3u);
}

TEST(WeightedRoundRobin, LargeClustersStayExactlyProportional) {
  // 20,000 members, cycle of 30,000: past the nginx budget, so the stride order is used.
  std::vector<std::uint32_t> weights(20000, 1);
  for (std::size_t i = 0; i < weights.size(); i += 2) weights[i] = 2;
  auto schedule = WeightedRoundRobinAlgorithm::smooth_schedule(weights);
  ASSERT_TRUE(schedule.ok());
  ASSERT_EQ(schedule->size(), 30000u);
  std::vector<std::uint32_t> counts(weights.size(), 0);
  for (auto member : *schedule) ++counts[member];
  EXPECT_EQ(counts, weights);
}

TEST(WeightedRoundRobin, RefusesCyclesTooLongToHold) {
  std::vector<std::uint32_t> weights(20, 1000000);
  weights[0] = 999999;
  auto schedule = WeightedRoundRobinAlgorithm::smooth_schedule(weights);
  ASSERT_FALSE(schedule.ok());
  EXPECT_EQ(schedule.error().code, ErrorCode::bad_request);
}

}  // namespace
}  // namespace rpclb::algorithms::testing
