#include "algorithms/least_connections/least_connections.hpp"

#include <limits>

namespace rpclb::algorithms {

Result<std::size_t> LeastConnectionsAlgorithm::choose_one(const Selection& selection) {
  const auto& members = selection.members;
  // Members and outstanding counts are both ordered by name: walk them
  // together instead of looking each member up.
  const auto& outstanding = selection.state.outstanding_by_node();
  auto next_count = outstanding.begin();
  std::int64_t best_load = std::numeric_limits<std::int64_t>::max();
  std::size_t best = 0;
  std::size_t ties = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    while (next_count != outstanding.end() && next_count->first < members[i].name) ++next_count;
    const bool counted = next_count != outstanding.end() && next_count->first == members[i].name;
    const std::int64_t load = std::int64_t{members[i].load} + (counted ? next_count->second : 0);
    if (load < best_load) {
      best_load = load;
      best = i;
      ties = 1;
    } else if (load == best_load && uniform_index(selection.rng, ++ties) == 0) {
      best = i;  // reservoir sampling: each tied member ends up equally likely
    }
  }
  selection.state.acquire(members[best].name);
  return best;
}

}  // namespace rpclb::algorithms
