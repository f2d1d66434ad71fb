#include "algorithms/hash_ring/hash_ring.hpp"

#include <set>

#include "tests/unit/algorithms/fixtures.hpp"

namespace rpclb::algorithms::testing {
namespace {

constexpr int kKeys = 10000;

std::string key(int i) {
  return "user-" + std::to_string(i);
}

// Owner name for every key.
std::vector<std::string> owners(const std::vector<Member>& nodes, std::uint32_t vnodes = kDefaultVnodes) {
  HashRingAlgorithm ring(vnodes);
  Picker picker;
  std::vector<std::string> out;
  for (int i = 0; i < kKeys; ++i) out.push_back(nodes[picker.one(ring, nodes, key(i))].name);
  return out;
}

TEST(HashRing, RequiresAKey) {
  auto ring = make("hash_ring");
  Picker picker;
  auto chosen = ring->choose_one(picker.selection(members(3)), picker.state);
  ASSERT_FALSE(chosen.ok());
  EXPECT_EQ(chosen.error().code, ErrorCode::bad_request);
  EXPECT_NE(chosen.error().message.find("--key"), std::string::npos);
}

// Owners depend on the members and the key only: not on the instance, nor on
// which keys it was asked before or in what order.
TEST(HashRing, SameKeySameNodeAcrossInstances) {
  const auto nodes = members(5);
  const auto expected = owners(nodes);
  HashRingAlgorithm ring(kDefaultVnodes);
  Picker picker;
  for (int i = kKeys - 1; i >= 0; --i) {
    ASSERT_EQ(nodes[picker.one(ring, nodes, key(i))].name, expected[static_cast<std::size_t>(i)]) << key(i);
  }
  std::set<std::string> used(expected.begin(), expected.end());
  EXPECT_EQ(used.size(), 5u);  // and not one constant answer
}

TEST(HashRing, HashIsPinned) {
  // Every rpclb on every host must place keys alike: this hash may never change silently.
  EXPECT_EQ(ring_hash(""), 0xefd01f60ba992926ull);
  EXPECT_EQ(ring_hash("user-42"), 0xa39532c7ab051e8dull);
}

TEST(HashRing, KeysSpreadAcrossNodes) {
  std::map<std::string, int> share;
  for (const auto& owner : owners(members(5))) ++share[owner];
  ASSERT_EQ(share.size(), 5u);
  for (const auto& [node, count] : share) {
    EXPECT_GT(count, kKeys / 10) << node;  // ideal 20% each
    EXPECT_LT(count, kKeys * 3 / 10) << node;
  }
}

TEST(HashRing, AJoinMovesAboutOneSixthOfKeysAllToTheNewcomer) {
  const auto before = owners(members(5));
  const auto after = owners(members(6));
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] == after[i]) continue;
    ++moved;
    EXPECT_EQ(after[i], "node-5") << "a key moved between two old nodes";
  }
  // Ideal is 1/6 (16.7%); the stated bound is 25%.
  EXPECT_GT(moved, kKeys / 10);
  EXPECT_LT(moved, kKeys / 4);
}

TEST(HashRing, ALeaveMovesOnlyTheLeaversKeys) {
  auto nodes = members(5);
  const auto before = owners(nodes);
  nodes.erase(nodes.begin() + 2);
  const auto after = owners(nodes);
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] != "node-2") {
      EXPECT_EQ(before[i], after[i]) << key(i);
    }
    EXPECT_NE(after[i], "node-2");
  }
}

TEST(HashRing, ReplicasAreDistinctOrderedAndStartAtThePrimary) {
  const auto nodes = members(5);
  HashRingAlgorithm ring;
  Picker picker;
  for (int i = 0; i < 2000; ++i) {
    auto replicas = ring.choose_many(picker.selection(nodes, key(i)), picker.state, 3);
    ASSERT_TRUE(replicas.ok());
    // Always three, even for keys past the ring's last point (the walk wraps).
    ASSERT_EQ(replicas->size(), 3u) << key(i);
    EXPECT_EQ(std::set<std::size_t>(replicas->begin(), replicas->end()).size(), 3u);
    EXPECT_EQ(replicas->front(), picker.one(ring, nodes, key(i)));
    auto again = ring.choose_many(picker.selection(nodes, key(i)), picker.state, 3);
    EXPECT_EQ(*again, *replicas);
  }
  auto capped = ring.choose_many(picker.selection(nodes, key(1)), picker.state, 50);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->size(), 5u);
}

TEST(HashRing, FewerVirtualNodesStillWork) {
  const auto nodes = members(3);
  const auto few = owners(nodes, 1);
  EXPECT_EQ(few, owners(nodes, 1));
  EXPECT_EQ(std::set<std::string>(few.begin(), few.end()).size(), 3u);
}

}  // namespace
}  // namespace rpclb::algorithms::testing
