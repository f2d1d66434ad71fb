#include "algorithms/weighted_round_robin/weighted_round_robin.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <queue>

namespace rpclb::algorithms {
namespace {

constexpr std::string_view kNextSlot = "weighted_round_robin.next";
constexpr std::int64_t kWrapAt = std::int64_t{1} << 40;

// The k-th turn (from 0) of a member of weight w falls at time (2k+1)/(2w)
// within a cycle of length 1; taking turns in time order gives each member
// exactly w turns per cycle, evenly spaced. O(total x log members).
std::vector<std::uint32_t> stride_schedule(const std::vector<std::int64_t>& weights, std::int64_t total) {
  struct Turn {
    std::int64_t numerator;    // 2k+1
    std::int64_t denominator;  // 2w
    std::uint32_t member;
  };
  // Earliest time first; equal times in name order. Cross-multiplying keeps it exact.
  auto later = [](const Turn& a, const Turn& b) {
    const auto left = static_cast<__int128>(a.numerator) * b.denominator;
    const auto right = static_cast<__int128>(b.numerator) * a.denominator;
    return left != right ? left > right : a.member > b.member;
  };
  std::priority_queue<Turn, std::vector<Turn>, decltype(later)> turns(later);
  for (std::uint32_t i = 0; i < weights.size(); ++i) turns.push({1, 2 * weights[i], i});
  std::vector<std::uint32_t> schedule;
  schedule.reserve(static_cast<std::size_t>(total));
  while (static_cast<std::int64_t>(schedule.size()) < total) {
    auto turn = turns.top();
    turns.pop();
    schedule.push_back(turn.member);
    turn.numerator += 2;
    turns.push(turn);
  }
  return schedule;
}

}  // namespace

Result<WeightedRoundRobinAlgorithm::Weights> WeightedRoundRobinAlgorithm::parse_weights(std::string_view text) {
  Weights weights;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    const auto colon = item.rfind(':');
    std::uint32_t weight = 0;
    const auto number = colon == std::string_view::npos ? std::string_view{} : item.substr(colon + 1);
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), weight);
    if (colon == 0 || colon == std::string_view::npos || ec != std::errc() || end != number.data() + number.size() ||
        weight < 1 || weight > 1000000) {
      return make_error(ErrorCode::bad_request,
                        "weights must look like node1:3,node2:1 with whole weights from 1 to "
                        "1000000, got '" +
                            std::string(item) + "'");
    }
    weights[std::string(item.substr(0, colon))] = weight;
  }
  if (weights.empty()) return make_error(ErrorCode::bad_request, "weights is empty");
  return weights;
}

Result<std::vector<std::uint32_t>> WeightedRoundRobinAlgorithm::smooth_schedule(
    const std::vector<std::uint32_t>& weights) {
  // Dividing by the common factor shortens the cycle without changing the order.
  std::uint32_t divisor = 0;
  for (auto w : weights) divisor = std::gcd(divisor, w);
  if (divisor == 0) return make_error(ErrorCode::bad_request, "weights must be at least 1");
  std::vector<std::int64_t> reduced(weights.size());
  std::int64_t total = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) total += reduced[i] = weights[i] / divisor;
  if (static_cast<std::uint64_t>(total) > kMaxCycle) {
    return make_error(ErrorCode::bad_request, "weighted_round_robin: weights sum to " + std::to_string(total) +
                                                  " after reduction, more than " + std::to_string(kMaxCycle));
  }
  if (static_cast<std::uint64_t>(total) * weights.size() > kMaxScheduleWork) return stride_schedule(reduced, total);
  std::vector<std::uint32_t> schedule;
  schedule.reserve(static_cast<std::size_t>(total));
  std::vector<std::int64_t> current(weights.size(), 0);
  for (std::int64_t step = 0; step < total; ++step) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < current.size(); ++i) {
      current[i] += reduced[i];
      if (current[i] > current[best]) best = i;  // ties go to the first in name order
    }
    current[best] -= total;
    schedule.push_back(static_cast<std::uint32_t>(best));
  }
  return schedule;
}

Result<std::size_t> WeightedRoundRobinAlgorithm::choose_one(const Selection& selection) {
  const bool stale = selection.membership_version == 0 || selection.membership_version != schedule_version_ ||
                     schedule_members_ != selection.members.size();
  if (stale) {
    std::vector<std::uint32_t> weights;
    weights.reserve(selection.members.size());
    for (const auto& member : selection.members) {
      auto found = overrides_.find(member.name);
      weights.push_back(found != overrides_.end() ? found->second : std::max<std::uint32_t>(member.weight, 1));
    }
    auto schedule = smooth_schedule(weights);
    if (!schedule) return schedule.error();
    schedule_ = std::move(schedule).value();
    schedule_version_ = selection.membership_version;
    schedule_members_ = selection.members.size();
  }
  const std::int64_t next = std::clamp<std::int64_t>(selection.state.counter(kNextSlot), 0, kWrapAt - 1);
  selection.state.set_counter(kNextSlot, (next + 1) % kWrapAt);
  return std::size_t{schedule_[static_cast<std::size_t>(next % static_cast<std::int64_t>(schedule_.size()))]};
}

}  // namespace rpclb::algorithms
