// random: every member equally likely; stateless. The default policy.
#pragma once

#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

class RandomAlgorithm final : public SelectionAlgorithm {
 public:
  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
};

}  // namespace rpclb::algorithms
