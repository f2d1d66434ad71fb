// round_robin: strict rotation over the members in name order. The position
// lives in AlgorithmState, so consecutive rpclb invocations on a host rotate
// as one balancer would.
#pragma once

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

class RoundRobinAlgorithm final : public SelectionAlgorithm {
 public:
  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
  // The next `count` distinct members of the rotation, advancing it by as many.
  Result<std::vector<std::size_t>> choose_many(const Selection& selection, AlgorithmState& state,
                                               std::size_t count) override;
  StateUse state_use() const override { return StateUse::counters; }
};

// Its entry in the catalog (algorithms/registry.cpp), options parsed here.
AlgorithmEntry round_robin_entry();

}  // namespace rpclb::algorithms
