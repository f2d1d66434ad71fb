// least_cpu: the model's LeastCpu. Members announce their host's CPU busy
// (agent/host_load.hpp); a choice is random among those within `threshold`
// (percentage points) of the least busy, so equally idle hosts share the
// work instead of the single least busy taking it all until the next
// announcement. Members that announce no figure (before 0.3.0) are chosen
// only when none does. Reads no state.
#pragma once

#include <cstdint>
#include <vector>

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

inline constexpr std::uint32_t kDefaultCpuThreshold = 10;  // percentage points

class LeastCpuAlgorithm final : public SelectionAlgorithm {
 public:
  explicit LeastCpuAlgorithm(std::uint32_t threshold_percent = kDefaultCpuThreshold)
      : threshold_(threshold_percent * 10) {}

  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
  // Least busy first (ties in random order), those without a figure last.
  Result<std::vector<std::size_t>> choose_many(const Selection& selection, AlgorithmState& state,
                                               std::size_t count) override;

 private:
  // Who is within the threshold, for the member list of `load_version`:
  // a long-lived client's choices cost O(1) until a figure changes.
  const std::vector<std::size_t>& eligible(const Selection& selection);

  std::uint32_t threshold_;  // thousandths, as announced
  std::uint64_t load_version_ = 0;
  std::size_t size_ = 0;
  std::vector<std::size_t> eligible_;
};

// Its entry in the catalog (algorithms/registry.cpp), options parsed here.
AlgorithmEntry least_cpu_entry();

}  // namespace rpclb::algorithms
