#include "algorithms/least_connections/least_connections.hpp"

namespace rpclb::algorithms {

bool LeastConnectionsAlgorithm::index_is_current(const Selection& selection, const AlgorithmState& state) const {
  return selection.load_version != 0 && selection.load_version == load_version_ && &state == state_ &&
         state.generation() == state_generation_ && selection.members.size() == size_;
}

void LeastConnectionsAlgorithm::rebuild(const Selection& selection, const AlgorithmState& state) {
  const auto& members = selection.members;
  state_ = &state;
  load_version_ = selection.load_version;
  size_ = members.size();
  load_.assign(members.size(), 0);
  slot_.assign(members.size(), 0);
  buckets_.clear();
  by_name_.clear();
  // Members and outstanding counts are both ordered by name: walk them together.
  const auto& outstanding = state.outstanding_by_node();
  auto next_count = outstanding.begin();
  for (std::uint32_t i = 0; i < members.size(); ++i) {
    while (next_count != outstanding.end() && next_count->first < members[i].name) ++next_count;
    const bool counted = next_count != outstanding.end() && next_count->first == members[i].name;
    load_[i] = std::int64_t{members[i].load} + (counted ? next_count->second : 0);
    auto& bucket = buckets_[load_[i]];
    slot_[i] = static_cast<std::uint32_t>(bucket.size());
    bucket.push_back(i);
    by_name_.emplace(members[i].name, i);
  }
}

void LeastConnectionsAlgorithm::move(std::uint32_t member, std::int64_t new_load) {
  auto from = buckets_.find(load_[member]);
  auto& old_bucket = from->second;
  // Swap-remove from the old bucket, keeping the moved neighbour's slot right.
  const auto last = old_bucket.back();
  old_bucket[slot_[member]] = last;
  slot_[last] = slot_[member];
  old_bucket.pop_back();
  if (old_bucket.empty()) buckets_.erase(from);
  auto& new_bucket = buckets_[new_load];
  slot_[member] = static_cast<std::uint32_t>(new_bucket.size());
  new_bucket.push_back(member);
  load_[member] = new_load;
}

Result<std::size_t> LeastConnectionsAlgorithm::choose_one(const Selection& selection, AlgorithmState& state) {
  if (!index_is_current(selection, state)) rebuild(selection, state);
  const auto& least = buckets_.begin()->second;
  const auto chosen = least[uniform_index(selection.rng, least.size())];
  state.acquire(selection.members[chosen].name);
  move(chosen, load_[chosen] + 1);
  state_generation_ = state.generation();
  return std::size_t{chosen};
}

void LeastConnectionsAlgorithm::release(std::string_view node, AlgorithmState& state) {
  const bool current = &state == state_ && state.generation() == state_generation_;
  const bool released = state.release(node);
  if (!current || !released) return;  // nothing to mirror, or the index is stale anyway
  auto found = by_name_.find(node);
  if (found == by_name_.end()) return;
  move(found->second, load_[found->second] - 1);
  state_generation_ = state.generation();
}

AlgorithmEntry least_connections_entry() {
  return plain_entry<LeastConnectionsAlgorithm>("least_connections");
}

}  // namespace rpclb::algorithms
