// weighted_round_robin: smooth weighted rotation, as nginx does it.
//
// Each step every member's current weight grows by its weight and the largest
// is chosen and lowered by the total, so over one cycle (the sum of the
// weights) each member is chosen exactly `weight` times, spread out rather
// than bunched: weights a=5 b=1 c=1 give a a b a c a a.
//
// That sequence depends only on the weights, so it is computed once per
// membership version, and the balancer state keeps just the position in it
// (like round_robin): concurrent rpclb processes share one rotation.
//
// nginx's order costs O(cycle x members) to compute, so it is used when that
// is small (kNginxOrderWork); any other weights, up to 1,000,000 each on
// thousands of members, use a golden-ratio stride through the cycle: turn p
// goes to the member whose share of [0, cycle) holds p x stride mod cycle.
// That keeps each member's exact share of every cycle and spreads its turns
// out, in memory linear in the members and O(log members) per choice.
//
// Weights come from each agent's --weight, overridden per node by
// `--opt weights=node1:3,node2:1`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

// Most cycle x members work for which nginx's order is computed (well under
// a millisecond, which a one-shot rpclb pays on every choice).
inline constexpr std::uint64_t kNginxOrderWork = 200'000;

// One cycle of turns for a set of weights (after dividing by their common
// factor): over a cycle, member i has exactly weights[i] turns.
class WeightedOrder {
 public:
  WeightedOrder() = default;
  // Weights must be at least 1.
  explicit WeightedOrder(const std::vector<std::uint32_t>& weights);

  std::uint64_t cycle() const { return cycle_; }
  // The member whose turn `position` (0 <= position < cycle()) is.
  std::uint32_t turn(std::uint64_t position) const;

 private:
  std::vector<std::uint32_t> nginx_;   // small cycles: the order itself
  std::vector<std::uint64_t> bounds_;  // otherwise: cumulative weights
  std::uint64_t cycle_ = 0;
  std::uint64_t stride_ = 1;
};

class WeightedRoundRobinAlgorithm final : public SelectionAlgorithm {
 public:
  using Weights = std::map<std::string, std::uint32_t, std::less<>>;
  explicit WeightedRoundRobinAlgorithm(Weights overrides = {}) : overrides_(std::move(overrides)) {}

  // Parses "node1:3, node2:1": node names as members have them, whole weights
  // from 1 to 1,000,000.
  static Result<Weights> parse_weights(std::string_view text);

  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
  StateUse state_use() const override { return StateUse::counters; }

 private:
  Weights overrides_;
  WeightedOrder order_;
  std::uint64_t order_version_ = 0;
  std::size_t order_members_ = 0;
};

// Its entry in the catalog (algorithms/registry.cpp), options parsed here.
AlgorithmEntry weighted_round_robin_entry();

}  // namespace rpclb::algorithms
