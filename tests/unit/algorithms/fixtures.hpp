// Shared scaffolding for the selection-policy tests.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/registry.hpp"
#include "lib/state/balancer_state.hpp"

namespace rpclb::algorithms::testing {

inline std::vector<Member> members(std::size_t count, const std::string& prefix = "node-") {
  std::vector<Member> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i].name = prefix + std::to_string(i);
  return out;
}

// node-0, node-1, ... with one field set from `values`, e.g. with_each(&Member::load, {3, 0, 5}).
inline std::vector<Member> with_each(std::uint32_t Member::*field, const std::vector<std::uint32_t>& values) {
  auto nodes = members(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) nodes[i].*field = values[i];
  return nodes;
}

inline std::unique_ptr<SelectionAlgorithm> make(std::string_view name, const AlgorithmOptions& options = {}) {
  auto algorithm = make_algorithm(name, options);
  EXPECT_TRUE(algorithm.ok()) << (algorithm.ok() ? "" : algorithm.error().message);
  return algorithm.ok() ? std::move(algorithm).value() : nullptr;
}

// One balancer's worth of context: its state and a seeded random source.
struct Picker {
  explicit Picker(std::uint64_t seed = 1) : rng(seed) {}
  Selection selection(const std::vector<Member>& nodes, std::optional<std::string> key = {}) {
    return Selection{nodes, std::move(key), rng, membership_version(nodes), load_version(nodes)};
  }
  std::size_t one(SelectionAlgorithm& algorithm, const std::vector<Member>& nodes,
                  std::optional<std::string> key = {}) {
    auto chosen = algorithm.choose_one(selection(nodes, std::move(key)), state);
    EXPECT_TRUE(chosen.ok()) << (chosen.ok() ? "" : chosen.error().message);
    return chosen.ok() ? *chosen : SIZE_MAX;
  }
  state::BalancerState state;
  std::mt19937_64 rng;
};

// Pearson's chi-square statistic of `counts` against a uniform expectation.
inline double chi_square_uniform(const std::vector<int>& counts) {
  double total = 0;
  for (int c : counts) total += c;
  const double expected = total / static_cast<double>(counts.size());
  double statistic = 0;
  for (int c : counts) statistic += (c - expected) * (c - expected) / expected;
  return statistic;
}

}  // namespace rpclb::algorithms::testing
