// random and round_robin, and the registry that names every policy.
#include <set>

#include "tests/unit/algorithms/fixtures.hpp"

namespace rpclb::algorithms::testing {
namespace {

TEST(Random, IsUniformByChiSquare) {
  auto random = make("random");
  const auto nodes = members(5);
  Picker picker(42);
  std::vector<int> counts(nodes.size(), 0);
  for (int i = 0; i < 50000; ++i) ++counts.at(picker.one(*random, nodes));
  // 4 degrees of freedom: p = 0.001 at 18.47.
  EXPECT_LT(chi_square_uniform(counts), 18.47);
  EXPECT_FALSE(picker.state.changed());
  EXPECT_EQ(random->state_use(), StateUse::none);
}

TEST(Random, ChooseManyIsDistinctAndCapped) {
  auto random = make("random");
  const auto nodes = members(4);
  Picker picker(7);
  auto three = random->choose_many(picker.selection(nodes), picker.state, 3);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(std::set<std::size_t>(three->begin(), three->end()).size(), 3u);
  auto all = random->choose_many(picker.selection(nodes), picker.state, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(std::set<std::size_t>(all->begin(), all->end()), (std::set<std::size_t>{0, 1, 2, 3}));
}

TEST(RoundRobin, RotatesInOrderAndPersistsInState) {
  auto rr = make("round_robin");
  const auto nodes = members(3);
  Picker picker;
  std::vector<std::size_t> picks;
  for (int i = 0; i < 7; ++i) picks.push_back(picker.one(*rr, nodes));
  EXPECT_EQ(picks, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0}));
  // A fresh policy object (a new rpclb process) continues from the state.
  EXPECT_EQ(picker.one(*make("round_robin"), nodes), 1u);
}

TEST(RoundRobin, ChooseManyTakesTheNextSlots) {
  auto rr = make("round_robin");
  const auto nodes = members(3);
  Picker picker;
  EXPECT_EQ(*rr->choose_many(picker.selection(nodes), picker.state, 2), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(*rr->choose_many(picker.selection(nodes), picker.state, 5), (std::vector<std::size_t>{2, 0, 1}));
}

TEST(RoundRobin, SurvivesAGarbageCounter) {
  auto rr = make("round_robin");
  const auto nodes = members(3);
  Picker picker;
  picker.state.set_counter("round_robin.next", -17);
  EXPECT_LT(picker.one(*rr, nodes), 3u);
}

TEST(Registry, HasTheEightPolicies) {
  EXPECT_EQ(algorithm_names(),
            (std::vector<std::string_view>{"random", "round_robin", "least_connections", "power_of_two", "hash_ring",
                                           "weighted_round_robin", "least_cpu", "peak_ewma"}));
}

TEST(Registry, UnknownNamesAndOptionsListTheChoices) {
  auto unknown = make_algorithm("fastest", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::bad_request);
  for (auto name : algorithm_names()) EXPECT_NE(unknown.error().message.find(name), std::string::npos) << name;
  auto bad_option = make_algorithm("random", {{"vnodes", "3"}});
  ASSERT_FALSE(bad_option.ok());
  EXPECT_EQ(bad_option.error().code, ErrorCode::bad_request);
  auto wrong_option = make_algorithm("hash_ring", {{"weights", "a:1"}});
  ASSERT_FALSE(wrong_option.ok());
  EXPECT_NE(wrong_option.error().message.find("valid: vnodes"), std::string::npos);
}

TEST(Registry, ACatalogTakesNewNamesAndRefusesTakenOnes) {
  auto catalog = AlgorithmCatalog::built_in();
  auto made = [](const AlgorithmOptions&) -> Result<std::unique_ptr<SelectionAlgorithm>> {
    return make_error(ErrorCode::not_found, "made by the test");
  };
  auto clash = catalog.add({"round_robin", {}, made, "/p/x.so"});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, ErrorCode::bad_request);
  EXPECT_EQ(clash.error().message,
            "algorithm round_robin of /p/x.so clashes with the built-in round_robin: names are unique");
  ASSERT_TRUE(catalog.add({"mine", {"depth"}, made, "/p/x.so"}).ok());
  auto again = catalog.add({"mine", {}, made, "/p/y.so"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "algorithm mine of /p/y.so clashes with mine of /p/x.so: names are unique");
  EXPECT_EQ(catalog.names().back(), "mine");
  // Its options are checked before its factory runs, which is then asked.
  EXPECT_EQ(catalog.make("mine", {{"width", "1"}}).error().message,
            "algorithm mine has no option 'width' (valid: depth)");
  EXPECT_EQ(catalog.make("mine", {{"depth", "1"}}).error().message, "made by the test");
  // The built-in catalog is untouched.
  EXPECT_EQ(make_algorithm("mine", {}).error().code, ErrorCode::bad_request);
}

TEST(Registry, BadOptionValuesAreBadRequests) {
  for (const auto& [name, key, value] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"hash_ring", "vnodes", "0"},
           {"hash_ring", "vnodes", "lots"},
           {"hash_ring", "vnodes", "10001"},
           {"weighted_round_robin", "weights", "a:0"},
           {"weighted_round_robin", "weights", "a"},
           {"weighted_round_robin", "weights", ":3"},
           {"weighted_round_robin", "weights", "a:x"},
           {"weighted_round_robin", "weights", ""},
       }) {
    auto made = make_algorithm(name, {{key, value}});
    ASSERT_FALSE(made.ok()) << name << " " << key << "=" << value;
    EXPECT_EQ(made.error().code, ErrorCode::bad_request);
  }
}

}  // namespace
}  // namespace rpclb::algorithms::testing
