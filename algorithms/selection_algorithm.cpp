#include "algorithms/selection_algorithm.hpp"

#include <algorithm>
#include <numeric>

namespace rpclb::algorithms {

Result<std::vector<std::size_t>> SelectionAlgorithm::choose_many(const Selection& selection, std::size_t count) {
  std::vector<std::size_t> order(selection.members.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), selection.rng);
  order.resize(std::min(count, order.size()));
  return order;
}

}  // namespace rpclb::algorithms
