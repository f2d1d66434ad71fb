// weighted_round_robin: smooth weighted rotation, as nginx does it.
//
// Each step every member's current weight grows by its weight and the largest
// is chosen and lowered by the total, so over one cycle (the sum of the
// weights) each member is chosen exactly `weight` times, spread out rather
// than bunched: weights a=5 b=1 c=1 give a a b a c a a.
//
// That sequence depends only on the weights, so it is computed once per
// membership version into a schedule, and the balancer state keeps just the
// position in it (like round_robin): O(1) per choice, and concurrent rpclb
// processes share one rotation.
//
// Weights come from each agent's --weight, overridden per node by
// `--opt weights=node1:3,node2:1`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

// nginx's order costs O(total weight x members) to compute. Past this much
// work (very large clusters with unequal weights) the schedule is built in
// O(total weight x log members) instead, by spacing each member's turns
// evenly over the cycle: the same exact proportions, nearly the same
// interleaving.
inline constexpr std::uint64_t kMaxScheduleWork = 20'000'000;
// Longest cycle (sum of weights after dividing by their common factor).
inline constexpr std::uint64_t kMaxCycle = 10'000'000;

class WeightedRoundRobinAlgorithm final : public SelectionAlgorithm {
 public:
  using Weights = std::map<std::string, std::uint32_t, std::less<>>;
  explicit WeightedRoundRobinAlgorithm(Weights overrides = {}) : overrides_(std::move(overrides)) {}

  // Parses "node1:3,node2:1"; weights must be whole numbers >= 1.
  static Result<Weights> parse_weights(std::string_view text);

  Result<std::size_t> choose_one(const Selection& selection) override;
  bool stateful() const override { return true; }

  // One full cycle of member indexes for these weights.
  static Result<std::vector<std::uint32_t>> smooth_schedule(const std::vector<std::uint32_t>& weights);

 private:
  Weights overrides_;
  std::vector<std::uint32_t> schedule_;
  std::uint64_t schedule_version_ = 0;
  std::size_t schedule_members_ = 0;
};

}  // namespace rpclb::algorithms
