// peak_ewma: latency-aware power of two choices, as Finagle's and Linkerd's
// balancers do. Two distinct members at random; the cheaper wins, where
//
//   cost = estimate of the round trip x (calls in flight + 1)
//
// The estimate is a peak-sensitive moving average of the round trips this
// host's callers saw (kept in the state store, so every rpclb on the host
// learns from every call): a slower reply raises it at once, a faster one
// lowers it with weight growing in the time since the last, and with no
// calls it decays toward zero with time constant `decay_ms`, so a member
// that was slow is tried again. In flight is the agent's announced load plus
// this host's unreleased selections (as power_of_two). A member never
// measured costs nothing while it has no call in flight (it is tried), and a
// penalty once it has one (nobody piles onto it unmeasured).
#pragma once

#include <cstdint>

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

inline constexpr std::uint32_t kDefaultDecayMs = 10'000;
inline constexpr std::uint32_t kMaxDecayMs = 3'600'000;

class PeakEwmaAlgorithm final : public SelectionAlgorithm {
 public:
  explicit PeakEwmaAlgorithm(std::uint32_t decay_ms = kDefaultDecayMs) : decay_ms_(decay_ms) {}

  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
  void observe(std::string_view node, std::chrono::microseconds round_trip, AlgorithmState& state) override;
  StateUse state_use() const override { return StateUse::latencies; }

  // The cost of `member` now (exposed for the tests).
  double cost(const Member& member, const AlgorithmState& state) const;

 private:
  std::uint32_t decay_ms_;
};

// Its entry in the catalog (algorithms/registry.cpp), options parsed here.
AlgorithmEntry peak_ewma_entry();

}  // namespace rpclb::algorithms
