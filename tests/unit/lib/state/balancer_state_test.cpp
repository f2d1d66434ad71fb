#include "lib/state/balancer_state.hpp"

#include "common/fnv1a.hpp"
#include "lib/state/state_store.hpp"

#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "tests/unit/algorithms/fixtures.hpp"

namespace rpclb::state {
namespace {

using algorithms::testing::make;
using algorithms::testing::members;

TEST(BalancerState, SerializesAndRejectsCorruption) {
  BalancerState state;
  state.set_counter("round_robin.next", 12);
  state.acquire("node-1");
  state.acquire("node-1");
  auto parsed = BalancerState::parse(state.serialize());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->counter("round_robin.next"), 12);
  EXPECT_EQ(parsed->outstanding("node-1"), 2);
  for (const std::string corrupt : {"garbage", "rpclb-state 2\nnode x", "rpclb-state 2\nnode x y\n",
                                    "rpclb-state 2\nnode k 1", "rpclb-state 2\nweird k 1\n", "rpclb-state 1\n"}) {
    EXPECT_FALSE(BalancerState::parse(corrupt).ok()) << corrupt;
  }
  EXPECT_TRUE(BalancerState::parse("").ok());
}

TEST(BalancerState, ACounterErasedIsGoneAndTheChangeCounts) {
  BalancerState state;
  state.set_counter("lru.at.a", 3);
  state.set_counter("lru.at.b", 4);
  const auto before = state.generation();
  state.erase_counter("lru.at.a");
  EXPECT_GT(state.generation(), before);
  state.erase_counter("lru.at.nobody");  // nothing to erase: no change
  const auto after = state.generation();
  state.erase_counter("lru.at.nobody");
  EXPECT_EQ(state.generation(), after);
  EXPECT_EQ(state.counters(), (AlgorithmState::Counters{{"lru.at.b", 4}}));
  auto read = BalancerState::parse(state.serialize());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->counter("lru.at.a", -1), -1);
  EXPECT_EQ(read->counter("lru.at.b"), 4);
}

TEST(BalancerState, OutstandingCountsFloorAtZeroAndVanish) {
  BalancerState state;
  state.release("a");
  EXPECT_FALSE(state.changed());
  state.acquire("a");
  state.release("a");
  state.release("a");
  EXPECT_EQ(state.outstanding("a"), 0);
  EXPECT_TRUE(state.outstanding_by_node().empty());
}

TEST(BalancerState, ForgetsNodesThatLeft) {
  BalancerState state;
  state.acquire("node-0");
  state.acquire("node-2");
  state.acquire("gone");
  state.retain_only(members(3));
  EXPECT_EQ(state.outstanding("node-0"), 1);
  EXPECT_EQ(state.outstanding("node-2"), 1);
  EXPECT_EQ(state.outstanding("gone"), 0);
}

TEST(BalancerState, EveryPartRoundTripsAndOldFormatsStartAfresh) {
  BalancerState state;
  state.set_chooser({42, 1'000'000, 600'000});
  state.acquire("node-1");
  state.set_ejection("node-2", {1, 2, 1'005'000, 77});
  state.count_call(1000, false);
  state.count_call(1000, true);
  auto parsed = BalancerState::parse(state.serialize());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->serialize(), state.serialize());
  EXPECT_EQ(parsed->outstanding("node-1"), 1);
  EXPECT_EQ(parsed->ejection("node-2"), (Ejection{1, 2, 1'005'000, 77}));
  EXPECT_EQ(parsed->tally_since(1000).retries, 1);
  for (const std::string corrupt :
       {"rpclb-state 2\nnode x 1\n", "rpclb-state 3\nhold x 1 2\n", "rpclb-state 3\neject x -1 0 0 0\n",
        "rpclb-state 3\neject x 0 0 0\n", "rpclb-state 3\ntally now 1 1\n"}) {
    EXPECT_FALSE(BalancerState::parse(corrupt).ok()) << corrupt;
  }
}

TEST(BalancerState, HoldsEndWithTheirOwnerOrTheirTime) {
  BalancerState state;
  std::set<std::int64_t> running{7};
  auto alive = [&](std::int64_t owner) { return running.contains(owner); };
  state.set_chooser({7, 0, 60'000});
  state.acquire("a");  // a running call's
  state.set_chooser({8, 0, 60'000});
  state.acquire("a");  // a call whose process is gone
  state.set_chooser({kAnyOwner, 0, 60'000});
  state.acquire("a");  // a script's selection
  EXPECT_EQ(state.outstanding("a"), 3);
  state.expire_holds(alive);
  EXPECT_EQ(state.outstanding("a"), 2);
  // A minute later (and the grain) the script's selection is over too; a running call's would be.
  state.set_chooser({kAnyOwner, 61'000, 60'000});
  state.expire_holds(alive);
  EXPECT_EQ(state.outstanding("a"), 0);
  // A hold further off than any given (a clock set back) does not count for ever.
  state.set_chooser({kAnyOwner, 10'000'000, 60'000});
  state.acquire("b");
  state.set_chooser({kAnyOwner, 1'000, 60'000});
  state.expire_holds(alive);
  EXPECT_EQ(state.outstanding("b"), 0);
}

TEST(BalancerState, ReleaseGivesBackTheCallersOwnOldestHold) {
  BalancerState state;
  state.set_chooser({7, 0, 60'000});
  state.acquire("a");
  state.set_chooser({7, 30'000, 60'000});
  state.acquire("a");
  state.set_chooser({9, 30'000, 60'000});
  EXPECT_FALSE(state.release("a"));  // 9 holds nothing of a
  state.set_chooser({7, 30'000, 60'000});
  EXPECT_TRUE(state.release("a"));
  // The newer hold is the one left: it lasts until 90 s, not 60 s.
  state.set_chooser({7, 70'000, 60'000});
  state.expire_holds([](std::int64_t) { return true; });
  EXPECT_EQ(state.outstanding("a"), 1);
}

TEST(BalancerState, UnstorableNamesAreIgnoredNotCorrupting) {
  BalancerState state;
  state.acquire("bad name\nnode x 9");
  EXPECT_TRUE(BalancerState::parse(state.serialize()).ok());
  EXPECT_EQ(state.outstanding("bad name\nnode x 9"), 0);
}

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rpclb-state-test-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StateFileTest, CorruptFileStartsAfresh) {
  const auto path = dir_ / "x.state";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("\x01\x02 not a state file", f);
    std::fclose(f);
  }
  auto file = StateFile::open(path);
  ASSERT_TRUE(file.ok());
  auto state = file->load();
  EXPECT_TRUE(state.outstanding_by_node().empty());
  EXPECT_EQ(state.counter("round_robin.next"), 0);
  state.set_counter("round_robin.next", 2);
  ASSERT_TRUE(file->save(state).ok());
  EXPECT_EQ(file->load().counter("round_robin.next"), 2);
}

TEST_F(StateFileTest, ConcurrentSelectorsNeverShareARoundRobinSlot) {
  const auto path = dir_ / "rr.state";
  const auto nodes = members(8);
  constexpr int kThreads = 8;
  constexpr int kPicksEach = 50;
  std::vector<std::vector<std::int64_t>> slots(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (int i = 0; i < kPicksEach; ++i) {
        // Each iteration is what one rpclb process does: open, lock, load, choose, save.
        auto file = StateFile::open(path, 10000);
        ASSERT_TRUE(file.ok());
        auto state = file->load();
        const auto slot = state.counter("round_robin.next");
        auto rr = make("round_robin");
        ASSERT_TRUE(rr->choose_one({nodes, std::nullopt, rng}, state).ok());
        ASSERT_TRUE(file->save(state).ok());
        slots[t].push_back(slot);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::int64_t> seen;
  for (const auto& list : slots) seen.insert(list.begin(), list.end());
  // Every one of the 400 selections took its own slot: no two saw the same counter.
  EXPECT_EQ(seen.size(), std::size_t{kThreads * kPicksEach});
}

TEST(StateStore, InMemoryKeepsChangesForTheNextUpdate) {
  auto store = StateStore::in_memory();
  ASSERT_TRUE(store.update([](BalancerState& state) -> Status {
    state.acquire("node-1");
    return {};
  }));
  std::int64_t seen = 0;
  ASSERT_TRUE(store.update([&](BalancerState& state) -> Status {
    seen = state.outstanding("node-1");
    return {};
  }));
  EXPECT_EQ(seen, 1);
}

TEST_F(StateFileTest, SharedFileSavesAChangeAndNotAFailedOne) {
  ::setenv("RPCLB_STATE_DIR", dir_.c_str(), 1);
  auto store = StateStore::shared_file("web", "bus,");
  ASSERT_TRUE(store.update([](BalancerState& state) -> Status {
    state.set_counter("kept", 1);
    return {};
  }));
  auto failed = store.update([](BalancerState& state) -> Status {
    state.set_counter("kept", 2);
    return Error{ErrorCode::internal, "the policy failed"};
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "the policy failed");
  // Another process's view of the same balancer: the file itself.
  auto file = StateFile::open(dir_ / state_file_name("web", "bus,"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->load().counter("kept"), 1);
  ::unsetenv("RPCLB_STATE_DIR");
}

TEST(StateFileName, SeparatesGroupsAndBuses) {
  const auto a = state_file_name("web", "tcp://127.0.0.1:7400,");
  EXPECT_NE(a, state_file_name("db", "tcp://127.0.0.1:7400,"));
  EXPECT_NE(a, state_file_name("web", "tcp://127.0.0.1:7500,"));
  EXPECT_NE(state_file_name("a/b", ""), state_file_name("a_b", ""));
  EXPECT_EQ(state_file_name("../../etc", "").find('/'), std::string::npos);
}

// The name is FNV-1a of "GROUP\nBUS", the same from every build and standard
// library, so the CLI and any program using the library share one file.
TEST(StateFileName, IsTheSameInEveryBuild) {
  EXPECT_EQ(state_file_name("web", "tcp://127.0.0.1:7400,"), "web.c7e7c7ad4e18965e.state");
}

TEST(Fnv1a, MatchesTheReferenceVectors) {
  EXPECT_EQ(fnv1a(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ull);
  EXPECT_EQ(Fnv1a().add("foo").add("bar").value(), fnv1a("foobar"));
}

}  // namespace
}  // namespace rpclb::state
