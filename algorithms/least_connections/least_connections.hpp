// least_connections: the member with the lowest effective load (calls in
// flight it announced + this caller's unreleased selections of it); ties are
// broken uniformly at random. Each choice counts as an outstanding selection
// until released (`rpclb release`, or the end of `rpclb call`).
#pragma once

#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

class LeastConnectionsAlgorithm final : public SelectionAlgorithm {
 public:
  Result<std::size_t> choose_one(const Selection& selection) override;
  bool stateful() const override { return true; }
};

}  // namespace rpclb::algorithms
