#include "algorithms/random/random.hpp"

namespace rpclb::algorithms {

Result<std::size_t> RandomAlgorithm::choose_one(const Selection& selection) {
  std::uniform_int_distribution<std::size_t> pick(0, selection.members.size() - 1);
  return pick(selection.rng);
}

}  // namespace rpclb::algorithms
