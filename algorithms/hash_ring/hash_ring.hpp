// hash_ring: consistent hashing with virtual nodes, keyed by `--key`.
//
// Each member owns `vnodes` points on a 64-bit ring; a key belongs to the
// first point at or after its hash (wrapping). When a member joins or leaves,
// only the keys next to its points move: about 1/N of them. choose_many walks
// clockwise from the key for distinct members (primary first, then
// replicas), wrapping around the ring, so it always returns min(count, N).
//
// The ring is cached and rebuilt only when the membership version changes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

inline constexpr std::uint32_t kDefaultVnodes = 160;
inline constexpr std::uint32_t kMaxVnodes = 10000;

// The ring's hash: stable across processes, builds and machines.
std::uint64_t ring_hash(std::string_view bytes);

class HashRingAlgorithm final : public SelectionAlgorithm {
 public:
  explicit HashRingAlgorithm(std::uint32_t vnodes = kDefaultVnodes) : vnodes_(vnodes) {}

  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
  Result<std::vector<std::size_t>> choose_many(const Selection& selection, AlgorithmState& state,
                                               std::size_t count) override;

 private:
  struct Point {
    std::uint64_t hash;
    std::uint32_t member;
  };
  // Validates the key and brings the ring up to date; returns the position of
  // the key's owner point.
  Result<std::size_t> locate(const Selection& selection);
  void rebuild(const Selection& selection);

  std::uint32_t vnodes_;
  std::vector<Point> ring_;
  std::uint64_t ring_version_ = 0;
  std::size_t ring_members_ = 0;
};

// Its entry in the catalog (algorithms/registry.cpp), options parsed here.
AlgorithmEntry hash_ring_entry();

}  // namespace rpclb::algorithms
