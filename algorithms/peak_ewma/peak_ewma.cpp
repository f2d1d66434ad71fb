#include "algorithms/peak_ewma/peak_ewma.hpp"

#include <cmath>

namespace rpclb::algorithms {
namespace {

// What an unmeasured member with calls in flight costs: more than any
// measured one (an hour's round trip, times its calls).
constexpr double kUnmeasuredPenaltyUs = 3.6e9;

// How much of an estimate made `elapsed_ms` ago still counts.
double kept(std::int64_t elapsed_ms, std::uint32_t decay_ms) {
  return std::exp(-static_cast<double>(std::max<std::int64_t>(elapsed_ms, 0)) / decay_ms);
}

}  // namespace

double PeakEwmaAlgorithm::cost(const Member& member, const AlgorithmState& state) const {
  const auto record = state.latency(member.name);
  const double in_flight = static_cast<double>(effective_load(member, state));
  if (record.stamp == 0) return in_flight == 0 ? 0 : kUnmeasuredPenaltyUs * in_flight;
  const double estimate = record.estimate_us * kept(state.now_ms() - record.stamp, decay_ms_);
  return estimate * (in_flight + 1);
}

Result<std::size_t> PeakEwmaAlgorithm::choose_one(const Selection& selection, AlgorithmState& state) {
  const auto& members = selection.members;
  std::size_t chosen = 0;
  if (members.size() > 1) {
    const auto [first, second] = two_distinct(selection.rng, members.size());
    chosen = cost(members[second], state) < cost(members[first], state) ? second : first;
  }
  state.acquire(members[chosen].name);
  return chosen;
}

void PeakEwmaAlgorithm::observe(std::string_view node, std::chrono::microseconds round_trip, AlgorithmState& state) {
  const auto now = state.now_ms();
  auto record = state.latency(node);
  const double seen = static_cast<double>(round_trip.count());
  double estimate = seen;
  if (record.stamp != 0 && seen < record.estimate_us) {
    const double weight = kept(now - record.stamp, decay_ms_);
    estimate = record.estimate_us * weight + seen * (1 - weight);
  }
  // Never 0 with a stamp: 1 µs is the least a member can cost once measured.
  record.estimate_us = std::max<std::int64_t>(1, std::llround(estimate));
  record.stamp = std::max<std::int64_t>(now, 1);
  state.set_latency(node, record);
}

AlgorithmEntry peak_ewma_entry() {
  return whole_number_entry<PeakEwmaAlgorithm>("peak_ewma", "decay_ms", kDefaultDecayMs, kMaxDecayMs);
}

}  // namespace rpclb::algorithms
