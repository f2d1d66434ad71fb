// power_of_two: two distinct members at random, the less loaded wins (same
// load signal and release path as least_connections); a tie goes to the
// first sampled. O(1) per choice, and nearly as good as a full scan.
#pragma once

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

class PowerOfTwoAlgorithm final : public SelectionAlgorithm {
 public:
  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
  StateUse state_use() const override { return StateUse::selections; }
};

// Its entry in the catalog (algorithms/registry.cpp), options parsed here.
AlgorithmEntry power_of_two_entry();

}  // namespace rpclb::algorithms
