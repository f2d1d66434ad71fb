#include "algorithms/weighted_round_robin/weighted_round_robin.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>

#include "common/member_rules.hpp"
#include "common/text.hpp"

namespace rpclb::algorithms {
namespace {

constexpr std::string_view kNextSlot = "weighted_round_robin.next";
constexpr std::int64_t kWrapAt = std::int64_t{1} << 40;  // above any cycle (10,000 x 1,000,000)

// nginx: each step every member's current weight grows by its weight; the
// largest (ties: first in name order) is chosen and lowered by the total.
std::vector<std::uint32_t> nginx_order(const std::vector<std::uint64_t>& weights, std::uint64_t total) {
  std::vector<std::uint32_t> order;
  order.reserve(total);
  std::vector<std::int64_t> current(weights.size(), 0);
  for (std::uint64_t step = 0; step < total; ++step) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < current.size(); ++i) {
      current[i] += static_cast<std::int64_t>(weights[i]);
      if (current[i] > current[best]) best = i;
    }
    current[best] -= static_cast<std::int64_t>(total);
    order.push_back(static_cast<std::uint32_t>(best));
  }
  return order;
}

}  // namespace

WeightedOrder::WeightedOrder(const std::vector<std::uint32_t>& weights) {
  std::uint32_t divisor = 0;
  for (auto w : weights) divisor = std::gcd(divisor, w);
  if (divisor == 0) return;
  std::vector<std::uint64_t> reduced;
  reduced.reserve(weights.size());
  for (auto w : weights) {
    reduced.push_back(w / divisor);
    cycle_ += reduced.back();
  }
  if (cycle_ * weights.size() <= kNginxOrderWork) {
    nginx_ = nginx_order(reduced, cycle_);
    return;
  }
  bounds_.reserve(reduced.size());
  std::uint64_t sum = 0;
  for (auto w : reduced) bounds_.push_back(sum += w);
  // The golden ratio's fraction of the cycle, made coprime with it so that
  // position -> position x stride mod cycle visits every slot once a cycle.
  stride_ =
      std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<long double>(cycle_) * 0.6180339887498948482L));
  while (std::gcd(stride_, cycle_) != 1) ++stride_;
}

std::uint32_t WeightedOrder::turn(std::uint64_t position) const {
  if (!nginx_.empty()) return nginx_[position % nginx_.size()];
  const auto slot = static_cast<std::uint64_t>(static_cast<unsigned __int128>(position % cycle_) * stride_ % cycle_);
  // The member whose cumulative share first passes the slot.
  return static_cast<std::uint32_t>(std::upper_bound(bounds_.begin(), bounds_.end(), slot) - bounds_.begin());
}

Result<WeightedRoundRobinAlgorithm::Weights> WeightedRoundRobinAlgorithm::parse_weights(std::string_view text) {
  Weights weights;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    const auto colon = item.rfind(':');
    std::uint32_t weight = 0;
    const auto number = colon == std::string_view::npos ? std::string_view{} : trim(item.substr(colon + 1));
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), weight);
    if (colon == std::string_view::npos || ec != std::errc() || end != number.data() + number.size() ||
        weight < kMinWeight || weight > kMaxWeight) {
      return make_error(ErrorCode::bad_request,
                        "weights must look like node1:3,node2:1 with whole weights from 1 to "
                        "1000000, got '" +
                            std::string(item) + "'");
    }
    const auto node = trim(item.substr(0, colon));
    if (auto valid = validate_name("weights: node", node); !valid) return valid.error();
    weights[std::string(node)] = weight;
  }
  if (weights.empty()) return make_error(ErrorCode::bad_request, "weights is empty");
  return weights;
}

Result<std::size_t> WeightedRoundRobinAlgorithm::choose_one(const Selection& selection, AlgorithmState& state) {
  const bool stale = selection.membership_version == 0 || selection.membership_version != order_version_ ||
                     order_members_ != selection.members.size();
  if (stale) {
    std::vector<std::uint32_t> weights;
    weights.reserve(selection.members.size());
    for (const auto& member : selection.members) {
      auto found = overrides_.find(member.name);
      weights.push_back(found != overrides_.end() ? found->second : std::clamp(member.weight, kMinWeight, kMaxWeight));
    }
    order_ = WeightedOrder(weights);
    order_version_ = selection.membership_version;
    order_members_ = selection.members.size();
  }
  const std::int64_t next = std::clamp<std::int64_t>(state.counter(kNextSlot), 0, kWrapAt - 1);
  state.set_counter(kNextSlot, (next + 1) % kWrapAt);
  return std::size_t{order_.turn(static_cast<std::uint64_t>(next) % order_.cycle())};
}

AlgorithmEntry weighted_round_robin_entry() {
  return {
      "weighted_round_robin",
      {"weights"},
      [](const AlgorithmOptions& options) -> Result<std::unique_ptr<SelectionAlgorithm>> {
        WeightedRoundRobinAlgorithm::Weights overrides;
        if (auto found = options.find("weights"); found != options.end()) {
          auto parsed = WeightedRoundRobinAlgorithm::parse_weights(found->second);
          if (!parsed) return parsed.error();
          overrides = std::move(parsed).value();
        }
        return std::unique_ptr<SelectionAlgorithm>(std::make_unique<WeightedRoundRobinAlgorithm>(std::move(overrides)));
      },
      {}};
}

}  // namespace rpclb::algorithms
