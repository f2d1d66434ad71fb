#include "algorithms/weighted_round_robin/weighted_round_robin.hpp"

#include "tests/unit/algorithms/fixtures.hpp"

namespace rpclb::algorithms::testing {
namespace {

std::vector<Member> weighted(const std::vector<std::uint32_t>& values) {
  return with_each(&Member::weight, values);
}

std::vector<std::size_t> picks(SelectionAlgorithm& wrr, const std::vector<Member>& nodes, int count, Picker& picker) {
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

// Every turn of one cycle of `order`, counted per member.
std::vector<std::uint32_t> turns_per_member(const WeightedOrder& order, std::size_t members) {
  std::vector<std::uint32_t> counts(members, 0);
  for (std::uint64_t p = 0; p < order.cycle(); ++p) ++counts.at(order.turn(p));
  return counts;
}

TEST(WeightedRoundRobin, OrderReducesByCommonFactor) {
  const WeightedOrder big({200, 100});
  const WeightedOrder small({2, 1});
  ASSERT_EQ(big.cycle(), 3u);
  for (std::uint64_t p = 0; p < 3; ++p) EXPECT_EQ(big.turn(p), small.turn(p));
}

TEST(WeightedRoundRobin, LargeClustersStayExactlyProportional) {
  // 20,000 members, cycle of 30,000: past the nginx budget, so the stride order is used.
  std::vector<std::uint32_t> weights(20000, 1);
  for (std::size_t i = 0; i < weights.size(); i += 2) weights[i] = 2;
  const WeightedOrder order(weights);
  ASSERT_EQ(order.cycle(), 30000u);
  EXPECT_EQ(turns_per_member(order, weights.size()), weights);
}

// Weights that once made every selection fail (a cycle past 10 million) and
// near-equal huge weights: each member still gets exactly its share.
TEST(WeightedRoundRobin, AnyValidWeightsWork) {
  const std::vector<std::uint32_t> uneven{1000000, 999999, 3};
  EXPECT_EQ(turns_per_member(WeightedOrder(uneven), uneven.size()), uneven);
  // A cycle of 1,000 over 201 members: the golden stride (618) shares a factor
  // with it and must be moved to one that does not, or slots repeat.
  std::vector<std::uint32_t> shared_factor(199, 5);
  shared_factor.push_back(2);
  shared_factor.push_back(3);
  EXPECT_EQ(turns_per_member(WeightedOrder(shared_factor), shared_factor.size()), shared_factor);

  std::vector<std::uint32_t> near_equal;
  for (std::uint32_t w = 1000000; w >= 999990; --w) near_equal.push_back(w);
  const WeightedOrder order(near_equal);
  EXPECT_EQ(order.cycle(), 10999945u);
  // Spread out, not bunched: in any 11 consecutive turns no member has more than 2.
  for (std::uint64_t start = 0; start < 20000; start += 11) {
    std::vector<int> seen(near_equal.size(), 0);
    for (std::uint64_t p = start; p < start + 11; ++p) ++seen[order.turn(p)];
    EXPECT_LE(*std::max_element(seen.begin(), seen.end()), 2) << "at " << start;
  }
}

TEST(WeightedRoundRobin, WeightsOptionTrimsAndChecksNames) {
  auto weights = WeightedRoundRobinAlgorithm::parse_weights("a:3, b:2 ,c : 1");
  ASSERT_TRUE(weights.ok()) << weights.error().message;
  EXPECT_EQ(*weights, (WeightedRoundRobinAlgorithm::Weights{{"a", 3}, {"b", 2}, {"c", 1}}));
  EXPECT_FALSE(WeightedRoundRobinAlgorithm::parse_weights("a b:2").ok());
  EXPECT_FALSE(WeightedRoundRobinAlgorithm::parse_weights("a:0").ok());
  EXPECT_FALSE(WeightedRoundRobinAlgorithm::parse_weights(":2").ok());
}

}  // namespace
}  // namespace rpclb::algorithms::testing
