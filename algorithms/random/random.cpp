#include "algorithms/random/random.hpp"

namespace rpclb::algorithms {

Result<std::size_t> RandomAlgorithm::choose_one(const Selection& selection, AlgorithmState& /*state*/) {
  return uniform_index(selection.rng, selection.members.size());
}

AlgorithmEntry random_entry() {
  return plain_entry<RandomAlgorithm>("random");
}

}  // namespace rpclb::algorithms
