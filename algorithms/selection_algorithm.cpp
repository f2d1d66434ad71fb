#include "algorithms/selection_algorithm.hpp"

#include <algorithm>
#include <numeric>

namespace rpclb::algorithms {

namespace {

// FNV-1a over names and weights (and loads); a collision would only cost a
// stale cache for one choice, and needs two different member lists in one process.
std::uint64_t fingerprint(std::span<const protocol::MemberInfo> members, bool with_loads) {
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&](const void* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      hash ^= static_cast<const unsigned char*>(data)[i];
      hash *= 1099511628211ull;
    }
  };
  for (const auto& member : members) {
    mix(member.name.data(), member.name.size());
    mix(&member.weight, sizeof member.weight);
    if (with_loads) mix(&member.load, sizeof member.load);
    mix("\n", 1);
  }
  return hash == 0 ? 1 : hash;
}

}  // namespace

std::uint64_t membership_version(std::span<const protocol::MemberInfo> members) {
  return fingerprint(members, false);
}

std::uint64_t load_version(std::span<const protocol::MemberInfo> members) {
  return fingerprint(members, true);
}

Result<std::vector<std::size_t>> SelectionAlgorithm::choose_many(const Selection& selection, std::size_t count) {
  std::vector<std::size_t> order(selection.members.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), selection.rng);
  order.resize(std::min(count, order.size()));
  return order;
}

}  // namespace rpclb::algorithms
