#include "algorithms/round_robin/round_robin.hpp"

#include <algorithm>

namespace rpclb::algorithms {
namespace {

constexpr std::string_view kNextSlot = "round_robin.next";
// Wrapping well below INT64_MAX keeps the counter positive; the jump it causes
// in the rotation happens once in a trillion picks.
constexpr std::int64_t kWrapAt = std::int64_t{1} << 40;

}  // namespace

Result<std::size_t> RoundRobinAlgorithm::choose_one(const Selection& selection, AlgorithmState& state) {
  auto chosen = choose_many(selection, state, 1);
  if (!chosen) return chosen.error();
  return chosen->front();
}

Result<std::vector<std::size_t>> RoundRobinAlgorithm::choose_many(const Selection& selection, AlgorithmState& state,
                                                                  std::size_t count) {
  const auto size = static_cast<std::int64_t>(selection.members.size());
  const auto take = std::min<std::int64_t>(static_cast<std::int64_t>(count), size);
  const std::int64_t next = std::clamp<std::int64_t>(state.counter(kNextSlot), 0, kWrapAt - 1);
  std::vector<std::size_t> chosen;
  chosen.reserve(static_cast<std::size_t>(take));
  for (std::int64_t i = 0; i < take; ++i) chosen.push_back(static_cast<std::size_t>((next + i) % size));
  state.set_counter(kNextSlot, (next + take) % kWrapAt);
  return chosen;
}

AlgorithmEntry round_robin_entry() {
  return plain_entry<RoundRobinAlgorithm>("round_robin");
}

}  // namespace rpclb::algorithms
