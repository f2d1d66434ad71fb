#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "algorithms/balancer_state.hpp"
#include "algorithms/registry.hpp"

namespace rpclb::algorithms {
namespace {

std::vector<protocol::MemberInfo> members(std::size_t count) {
  std::vector<protocol::MemberInfo> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i].name = "node-" + std::to_string(i);
  return out;
}

std::unique_ptr<SelectionAlgorithm> make(std::string_view name) {
  auto algorithm = make_algorithm(name, {});
  EXPECT_TRUE(algorithm.ok());
  return std::move(algorithm).value();
}

TEST(Random, IsUniformByChiSquare) {
  auto random = make("random");
  const auto nodes = members(5);
  BalancerState state;
  std::mt19937_64 rng(42);
  std::vector<int> counts(nodes.size(), 0);
  constexpr int kPicks = 50000;
  for (int i = 0; i < kPicks; ++i) {
    auto pick = random->choose_one({nodes, std::nullopt, state, rng});
    ASSERT_TRUE(pick.ok());
    ++counts.at(*pick);
  }
  const double expected = double(kPicks) / nodes.size();
  double chi_square = 0;
  for (int c : counts) chi_square += (c - expected) * (c - expected) / expected;
  // 4 degrees of freedom: p = 0.001 at 18.47.
  EXPECT_LT(chi_square, 18.47);
  EXPECT_TRUE(state.entries().empty());
  EXPECT_FALSE(random->stateful());
}

TEST(Random, ChooseManyIsDistinctAndCapped) {
  auto random = make("random");
  const auto nodes = members(4);
  BalancerState state;
  std::mt19937_64 rng(7);
  auto three = random->choose_many({nodes, std::nullopt, state, rng}, 3);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(std::set<std::size_t>(three->begin(), three->end()).size(), 3u);
  auto all = random->choose_many({nodes, std::nullopt, state, rng}, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(std::set<std::size_t>(all->begin(), all->end()), (std::set<std::size_t>{0, 1, 2, 3}));
}

TEST(RoundRobin, RotatesInOrderAndPersistsInState) {
  auto rr = make("round_robin");
  const auto nodes = members(3);
  BalancerState state;
  std::mt19937_64 rng(1);
  std::vector<std::size_t> picks;
  for (int i = 0; i < 7; ++i) picks.push_back(*rr->choose_one({nodes, std::nullopt, state, rng}));
  EXPECT_EQ(picks, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0}));
  // A fresh policy object (a new rpclb process) continues from the state.
  auto next = make("round_robin");
  EXPECT_EQ(*next->choose_one({nodes, std::nullopt, state, rng}), 1u);
}

TEST(RoundRobin, ChooseManyTakesTheNextSlots) {
  auto rr = make("round_robin");
  const auto nodes = members(3);
  BalancerState state;
  std::mt19937_64 rng(1);
  EXPECT_EQ(*rr->choose_many({nodes, std::nullopt, state, rng}, 2), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(*rr->choose_many({nodes, std::nullopt, state, rng}, 5), (std::vector<std::size_t>{2, 0, 1}));
}

TEST(RoundRobin, SurvivesAGarbageCounter) {
  auto rr = make("round_robin");
  const auto nodes = members(3);
  BalancerState state;
  state.set("round_robin.next", -17);
  std::mt19937_64 rng(1);
  auto pick = rr->choose_one({nodes, std::nullopt, state, rng});
  ASSERT_TRUE(pick.ok());
  EXPECT_LT(*pick, 3u);
}

TEST(Registry, UnknownNamesAndOptionsListTheChoices) {
  auto unknown = make_algorithm("fastest", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::bad_request);
  EXPECT_NE(unknown.error().message.find("random"), std::string::npos);
  EXPECT_NE(unknown.error().message.find("round_robin"), std::string::npos);
  auto bad_option = make_algorithm("random", {{"vnodes", "3"}});
  ASSERT_FALSE(bad_option.ok());
  EXPECT_EQ(bad_option.error().code, ErrorCode::bad_request);
}

TEST(BalancerState, SerializesAndRejectsCorruption) {
  BalancerState state;
  state.set("round_robin.next", 12);
  state.set("conn.node-1", -3);
  auto parsed = BalancerState::parse(state.serialize());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->entries(), state.entries());
  for (const std::string corrupt : {"garbage", "rpclb-state 1\nkey", "rpclb-state 1\nkey x\n", "rpclb-state 1\nk 1"}) {
    EXPECT_FALSE(BalancerState::parse(corrupt).ok()) << corrupt;
  }
  EXPECT_TRUE(BalancerState::parse("").ok());
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
  EXPECT_TRUE(state.entries().empty());
  state.set("round_robin.next", 2);
  ASSERT_TRUE(file->save(state).ok());
  EXPECT_EQ(file->load().get("round_robin.next"), 2);
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
        auto file = StateFile::open(path, 10000);
        ASSERT_TRUE(file.ok());
        auto state = file->load();
        const auto slot = state.get("round_robin.next");
        auto rr = make("round_robin");
        ASSERT_TRUE(rr->choose_one({nodes, std::nullopt, state, rng}).ok());
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

TEST(StateFileName, SeparatesGroupsAlgorithmsAndBuses) {
  const auto a = state_file_name("web", "round_robin", "tcp://127.0.0.1:7400,");
  EXPECT_NE(a, state_file_name("db", "round_robin", "tcp://127.0.0.1:7400,"));
  EXPECT_NE(a, state_file_name("web", "random", "tcp://127.0.0.1:7400,"));
  EXPECT_NE(a, state_file_name("web", "round_robin", "tcp://127.0.0.1:7500,"));
  EXPECT_NE(state_file_name("a/b", "rr", ""), state_file_name("a_b", "rr", ""));
  EXPECT_EQ(state_file_name("../../etc", "rr", "").find('/'), std::string::npos);
}

}  // namespace
}  // namespace rpclb::algorithms
