#include "algorithms/power_of_two/power_of_two.hpp"

namespace rpclb::algorithms {

Result<std::size_t> PowerOfTwoAlgorithm::choose_one(const Selection& selection, AlgorithmState& state) {
  const auto& members = selection.members;
  std::size_t chosen = 0;
  if (members.size() > 1) {
    const auto [first, second] = two_distinct(selection.rng, members.size());
    const auto first_load = effective_load(members[first], state);
    chosen = effective_load(members[second], state) < first_load ? second : first;
  }
  state.acquire(members[chosen].name);
  return chosen;
}

AlgorithmEntry power_of_two_entry() {
  return plain_entry<PowerOfTwoAlgorithm>("power_of_two");
}

}  // namespace rpclb::algorithms
