#include "algorithms/selection_algorithm.hpp"

#include "common/fnv1a.hpp"

namespace rpclb::algorithms {

namespace {

// FNV-1a over names and weights (and loads: in flight and CPU); a collision would only cost a
// stale cache for one choice, and needs two different member lists in one process.
std::uint64_t fingerprint(std::span<const Member> members, bool with_loads) {
  Fnv1a hash;
  for (const auto& member : members) {
    hash.add(member.name).add(&member.weight, sizeof member.weight);
    if (with_loads) hash.add(&member.load, sizeof member.load).add(&member.cpu, sizeof member.cpu);
    hash.add("\n");
  }
  return hash.value() == 0 ? 1 : hash.value();
}

}  // namespace

std::uint64_t membership_version(std::span<const Member> members) {
  return fingerprint(members, false);
}

std::uint64_t load_version(std::span<const Member> members) {
  return fingerprint(members, true);
}

}  // namespace rpclb::algorithms
