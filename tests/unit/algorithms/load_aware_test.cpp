// least_connections and power_of_two: both read the same load signal, the
// agent's announced in-flight calls plus this caller's unreleased selections.
#include "tests/unit/algorithms/fixtures.hpp"

namespace rpclb::algorithms::testing {
namespace {

std::vector<protocol::MemberInfo> loaded(const std::vector<std::uint32_t>& values) {
  return with_each(&protocol::MemberInfo::load, values);
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
