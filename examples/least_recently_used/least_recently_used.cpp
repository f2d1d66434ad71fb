#include "least_recently_used.hpp"

#include <algorithm>
#include <numeric>
#include <set>

namespace rpclb_example {
namespace {

constexpr std::string_view kClock = "least_recently_used.clock";
constexpr std::string_view kLastChosen = "least_recently_used.at.";

}  // namespace

std::int64_t LeastRecentlyUsed::last_chosen(const rpclb::Member& member, const rpclb::AlgorithmState& state) {
  key_.assign(kLastChosen).append(member.name);
  // A state file edited by hand may say anything: negative is "never".
  return std::max<std::int64_t>(state.counter(key_), 0);
}

void LeastRecentlyUsed::stamp(const rpclb::Member& member, rpclb::AlgorithmState& state) {
  const auto now = std::max<std::int64_t>(state.counter(kClock), 0) + 1;
  state.set_counter(kClock, now);
  key_.assign(kLastChosen).append(member.name);
  state.set_counter(key_, now);
}

rpclb::Result<std::size_t> LeastRecentlyUsed::choose_one(const rpclb::Selection& selection,
                                                         rpclb::AlgorithmState& state) {
  const auto& members = selection.members;
  std::size_t chosen = 0;
  std::int64_t oldest = last_chosen(members[0], state);
  for (std::size_t i = 1; i < members.size() && oldest > 0; ++i) {
    if (const auto at = last_chosen(members[i], state); at < oldest) {
      oldest = at;
      chosen = i;
    }
  }
  stamp(members[chosen], state);
  return chosen;
}

rpclb::Result<std::vector<std::size_t>> LeastRecentlyUsed::choose_many(const rpclb::Selection& selection,
                                                                       rpclb::AlgorithmState& state,
                                                                       std::size_t count) {
  const auto& members = selection.members;
  std::vector<std::int64_t> at(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) at[i] = last_chosen(members[i], state);
  std::vector<std::size_t> order(members.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return at[a] < at[b]; });
  order.resize(std::min(count, order.size()));
  for (auto index : order) stamp(members[index], state);
  return order;
}

void LeastRecentlyUsed::members_changed(std::span<const rpclb::Member> group, rpclb::AlgorithmState& state) {
  std::set<std::string_view> present;
  for (const auto& member : group) present.insert(member.name);
  std::vector<std::string> departed;
  const auto& counters = state.counters();
  for (auto it = counters.lower_bound(kLastChosen); it != counters.end() && it->first.starts_with(kLastChosen); ++it) {
    if (!present.contains(std::string_view(it->first).substr(kLastChosen.size()))) departed.push_back(it->first);
  }
  for (const auto& name : departed) state.erase_counter(name);
}

rpclb::Result<std::unique_ptr<rpclb::SelectionAlgorithm>> make_least_recently_used(const rpclb::AlgorithmOptions&) {
  return std::unique_ptr<rpclb::SelectionAlgorithm>(std::make_unique<LeastRecentlyUsed>());
}

}  // namespace rpclb_example
