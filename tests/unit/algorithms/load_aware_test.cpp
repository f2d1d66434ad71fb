// least_connections and power_of_two: both read the same load signal, the
// agent's announced in-flight calls plus this caller's unreleased selections.
#include "tests/unit/algorithms/fixtures.hpp"

#include <cmath>

#include "algorithms/peak_ewma/peak_ewma.hpp"

namespace rpclb::algorithms::testing {
namespace {

std::vector<Member> loaded(const std::vector<std::uint32_t>& values) {
  return with_each(&Member::load, values);
}

TEST(LeastConnections, PicksTheLowestAnnouncedLoad) {
  auto lc = make("least_connections");
  Picker picker;
  EXPECT_EQ(picker.one(*lc, loaded({3, 0, 5})), 1u);
}

TEST(LeastConnections, CountsThisCallersUnreleasedSelections) {
  auto lc = make("least_connections");
  Picker picker;
  const auto nodes = loaded({0, 0, 0});
  picker.state.acquire("node-0");
  picker.state.acquire("node-0");
  picker.state.acquire("node-1");
  EXPECT_EQ(picker.one(*lc, nodes), 2u);
  EXPECT_EQ(picker.state.outstanding("node-2"), 1);  // the choice itself counts
}

TEST(LeastConnections, CombinesBothSources) {
  auto lc = make("least_connections");
  Picker picker;
  // Announced 1,0,0 plus local 0,2,0: effective 1,2,0.
  picker.state.acquire("node-1");
  picker.state.acquire("node-1");
  EXPECT_EQ(picker.one(*lc, loaded({1, 0, 0})), 2u);
}

TEST(LeastConnections, UnreleasedChoicesSpreadEvenly) {
  auto lc = make("least_connections");
  Picker picker(3);
  const auto nodes = loaded({0, 0, 0});
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 9; ++i) ++counts[picker.one(*lc, nodes)];
  EXPECT_EQ(counts, (std::vector<int>{3, 3, 3}));
}

TEST(LeastConnections, BreaksTiesUniformly) {
  auto lc = make("least_connections");
  const auto nodes = loaded({0, 0, 0, 9});
  Picker picker(11);
  std::vector<int> counts(4, 0);
  for (int i = 0; i < 30000; ++i) {
    const auto chosen = picker.one(*lc, nodes);
    ++counts[chosen];
    lc->release(nodes[chosen].name, picker.state);
  }
  EXPECT_EQ(counts[3], 0);
  counts.pop_back();
  EXPECT_LT(chi_square_uniform(counts), 13.82);  // 2 d.o.f., p = 0.001
}

TEST(LeastConnections, NoticesStateChangedBehindItsBack) {
  auto lc = make("least_connections");
  Picker picker;
  const auto nodes = loaded({0, 0, 0});
  const auto first = picker.one(*lc, nodes);  // builds the index; first now carries 1
  // Another path loads the other two nodes with 2 each.
  for (const auto& node : nodes) {
    if (node.name == nodes[first].name) continue;
    picker.state.acquire(node.name);
    picker.state.acquire(node.name);
  }
  EXPECT_EQ(picker.one(*lc, nodes), first);
}

TEST(LeastConnections, NoticesAnnouncedLoadChanges) {
  auto lc = make("least_connections");
  Picker picker;
  EXPECT_EQ(picker.one(*lc, loaded({0, 5, 5})), 0u);
  lc->release("node-0", picker.state);
  EXPECT_EQ(picker.one(*lc, loaded({5, 5, 0})), 2u);
}

TEST(LeastConnections, ReleaseNeverGoesBelowZero) {
  auto lc = make("least_connections");
  Picker picker;
  lc->release("node-0", picker.state);
  EXPECT_EQ(picker.state.outstanding("node-0"), 0);
  picker.state.acquire("node-0");
  lc->release("node-0", picker.state);
  lc->release("node-0", picker.state);
  EXPECT_EQ(picker.state.outstanding("node-0"), 0);
  EXPECT_TRUE(picker.state.outstanding_by_node().empty());
}

TEST(PowerOfTwo, SingleMemberIsChosen) {
  auto p2 = make("power_of_two");
  Picker picker;
  EXPECT_EQ(picker.one(*p2, loaded({7})), 0u);
  EXPECT_EQ(picker.state.outstanding("node-0"), 1);
}

// With two members the pair is always both (samples are distinct), so the idle one always wins.
TEST(PowerOfTwo, NeverPrefersTheBusierOfTwo) {
  auto p2 = make("power_of_two");
  Picker picker(5);
  const auto nodes = loaded({10, 0});
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(picker.one(*p2, nodes), 1u);
    p2->release("node-1", picker.state);
  }
}

TEST(PowerOfTwo, IdleMemberWinsWheneverSampled) {
  auto p2 = make("power_of_two");
  Picker picker(9);
  const auto nodes = loaded({0, 100, 100});
  int idle = 0;
  constexpr int kPicks = 6000;
  for (int i = 0; i < kPicks; ++i) {
    const auto chosen = picker.one(*p2, nodes);
    idle += chosen == 0;
    p2->release(nodes[chosen].name, picker.state);
  }
  // The idle node is in 2 of every 3 sampled pairs; it wins all of those.
  EXPECT_NEAR(double(idle) / kPicks, 2.0 / 3.0, 0.03);
}

}  // namespace
}  // namespace rpclb::algorithms::testing

namespace rpclb::algorithms::testing {
namespace {

std::vector<Member> busy(const std::vector<std::uint32_t>& cpu) {
  return with_each(&Member::cpu, cpu);
}

TEST(LeastCpu, ChoosesOnlyAmongThoseNearTheLeastBusy) {
  auto policy = make("least_cpu");  // within 10 points
  Picker picker(5);
  const auto nodes = busy({900, 120, 50, 151, 149});
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 3000; ++i) ++counts[picker.one(*policy, nodes)];
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[3], 0);  // 151 > 50 + 100
  EXPECT_LT(chi_square_uniform({counts[1], counts[2], counts[4]}), 13.82);
}

TEST(LeastCpu, TheThresholdIsAnOption) {
  auto strict = make("least_cpu", {{"threshold", "1"}});
  Picker picker;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(picker.one(*strict, busy({301, 290, 700})), 1u);
  EXPECT_FALSE(make_algorithm("least_cpu", {{"threshold", "101"}}).ok());
  EXPECT_FALSE(make_algorithm("least_cpu", {{"cpu", "1"}}).ok());
}

TEST(LeastCpu, MembersWithoutAFigureAreChosenOnlyWhenNoneHasOne) {
  auto policy = make("least_cpu");
  Picker picker;
  const auto u = protocol::kUnknownFigure;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(picker.one(*policy, busy({u, 990, u})), 1u);
  std::vector<int> counts(2, 0);
  for (int i = 0; i < 200; ++i) ++counts[picker.one(*policy, busy({u, u}))];
  EXPECT_GT(counts[0], 0);
  EXPECT_GT(counts[1], 0);
  auto many = policy->choose_many(picker.selection(busy({u, 500, 100})), picker.state, 3);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(*many, (std::vector<std::size_t>{2, 1, 0}));
}

// peak_ewma learns from observed round trips, in the shared state.
struct Ewma {
  std::unique_ptr<SelectionAlgorithm> policy = make("peak_ewma");
  Picker picker{3};
  void at(state::WallMs now) { picker.state.set_chooser(state::Chooser{state::kAnyOwner, now, 600'000}); }
  void observe(const std::string& node, int ms) { policy->observe(node, std::chrono::milliseconds(ms), picker.state); }
  double cost(const Member& member) { return dynamic_cast<PeakEwmaAlgorithm&>(*policy).cost(member, picker.state); }
};

TEST(PeakEwma, ASlowMemberLosesEveryComparison) {
  Ewma ewma;
  ewma.at(1'000'000);
  const auto nodes = members(3);
  ewma.observe("node-0", 5);
  ewma.observe("node-1", 300);
  ewma.observe("node-2", 6);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 300; ++i) {
    const auto chosen = ewma.picker.one(*ewma.policy, nodes);
    ++counts[chosen];
    ewma.policy->release(nodes[chosen].name, ewma.picker.state);
  }
  EXPECT_EQ(counts[1], 0);  // two distinct of three: never both slow
  EXPECT_GT(counts[0], 100);
  EXPECT_GT(counts[2], 100);
}

TEST(PeakEwma, PeaksCountAtOnceAndFadeWithTime) {
  Ewma ewma;
  const auto node = members(1)[0];
  ewma.at(1'000'000);
  ewma.observe("node-0", 10);
  EXPECT_DOUBLE_EQ(ewma.cost(node), 10'000);
  ewma.observe("node-0", 200);  // slower: taken at once
  EXPECT_DOUBLE_EQ(ewma.cost(node), 200'000);
  ewma.at(1'010'000);  // one time constant later: e^-1 of it is left
  EXPECT_NEAR(ewma.cost(node), 200'000 / std::exp(1.0), 1);
  ewma.observe("node-0", 10);  // faster: weighed against the time since the last
  EXPECT_NEAR(ewma.cost(node), 200'000 / std::exp(1.0) + 10'000 * (1 - 1 / std::exp(1.0)), 2);
  // Calls in flight multiply the cost.
  ewma.picker.state.acquire("node-0");
  const double one_in_flight = ewma.cost(node);
  ewma.picker.state.acquire("node-0");
  EXPECT_NEAR(ewma.cost(node), one_in_flight * 3 / 2, 1);
}

TEST(PeakEwma, AnUnmeasuredMemberIsTriedButNotPiledOnto) {
  Ewma ewma;
  ewma.at(1'000'000);
  auto nodes = members(2);
  ewma.observe("node-0", 1);
  EXPECT_EQ(ewma.cost(nodes[1]), 0);
  EXPECT_EQ(ewma.picker.one(*ewma.policy, nodes), 1u);  // held now: one in flight
  EXPECT_GT(ewma.cost(nodes[1]), ewma.cost(nodes[0]) * 1000);
  EXPECT_EQ(ewma.picker.one(*ewma.policy, nodes), 0u);
}

TEST(PeakEwma, EstimatesSurviveTheStateFile) {
  Ewma ewma;
  ewma.at(5'000);
  ewma.observe("node-0", 42);
  auto text = ewma.picker.state.serialize();
  EXPECT_NE(text.find("latency node-0 42000 5000\n"), std::string::npos) << text;
  auto back = state::BalancerState::parse(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->latency("node-0"), (Latency{42'000, 5'000}));
  back->retain_only(members(0));
  EXPECT_EQ(back->latency("node-0"), Latency{});
  EXPECT_FALSE(state::BalancerState::parse(text + "latency node-1 -5 1\n").ok());
  EXPECT_FALSE(make_algorithm("peak_ewma", {{"decay_ms", "0"}}).ok());
}

}  // namespace
}  // namespace rpclb::algorithms::testing
