#include "algorithms/hash_ring/hash_ring.hpp"

#include <algorithm>
#include <string>

#include "common/fnv1a.hpp"

namespace rpclb::algorithms {

std::uint64_t ring_hash(std::string_view bytes) {
  // FNV-1a, then MurmurHash3's 64-bit finalizer: FNV alone spreads similar
  // strings ("node-1#7", "node-1#8") poorly across the ring.
  std::uint64_t h = fnv1a(bytes);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

void HashRingAlgorithm::rebuild(const Selection& selection) {
  ring_.clear();
  ring_.reserve(selection.members.size() * vnodes_);
  std::string label;
  for (std::uint32_t m = 0; m < selection.members.size(); ++m) {
    for (std::uint32_t v = 0; v < vnodes_; ++v) {
      label = selection.members[m].name;
      label += '#';
      label += std::to_string(v);
      ring_.push_back({ring_hash(label), m});
    }
  }
  // Ties (vanishingly rare) are ordered by member so every process agrees.
  std::sort(ring_.begin(), ring_.end(),
            [](const Point& a, const Point& b) { return a.hash != b.hash ? a.hash < b.hash : a.member < b.member; });
  ring_version_ = selection.membership_version;
  ring_members_ = selection.members.size();
}

Result<std::size_t> HashRingAlgorithm::locate(const Selection& selection) {
  if (!selection.key) {
    return make_error(ErrorCode::bad_request, "hash_ring routes by key: pass --key KEY");
  }
  const bool stale = selection.membership_version == 0 || selection.membership_version != ring_version_ ||
                     ring_members_ != selection.members.size();
  if (stale) rebuild(selection);
  const auto hash = ring_hash(*selection.key);
  auto owner = std::lower_bound(ring_.begin(), ring_.end(), hash,
                                [](const Point& point, std::uint64_t value) { return point.hash < value; });
  if (owner == ring_.end()) owner = ring_.begin();  // wrap around
  return static_cast<std::size_t>(owner - ring_.begin());
}

Result<std::size_t> HashRingAlgorithm::choose_one(const Selection& selection, AlgorithmState& /*state*/) {
  auto position = locate(selection);
  if (!position) return position.error();
  return std::size_t{ring_[*position].member};
}

Result<std::vector<std::size_t>> HashRingAlgorithm::choose_many(const Selection& selection, AlgorithmState& /*state*/,
                                                                std::size_t count) {
  auto position = locate(selection);
  if (!position) return position.error();
  const std::size_t wanted = std::min(count, selection.members.size());
  std::vector<std::size_t> chosen;
  std::vector<bool> taken(selection.members.size(), false);
  for (std::size_t step = 0; step < ring_.size() && chosen.size() < wanted; ++step) {
    const auto member = ring_[(*position + step) % ring_.size()].member;
    if (taken[member]) continue;
    taken[member] = true;
    chosen.push_back(member);
  }
  return chosen;
}

AlgorithmEntry hash_ring_entry() {
  return whole_number_entry<HashRingAlgorithm>("hash_ring", "vnodes", kDefaultVnodes, kMaxVnodes);
}

}  // namespace rpclb::algorithms
