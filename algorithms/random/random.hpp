// random: every member equally likely; stateless. The default policy.
#pragma once

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

class RandomAlgorithm final : public SelectionAlgorithm {
 public:
  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
};

// Its entry in the catalog (algorithms/registry.cpp), options parsed here.
AlgorithmEntry random_entry();

}  // namespace rpclb::algorithms
