// Policy: the balancer's hold on its selection algorithm, built in or not.
// It is the one place that calls a policy, so it is the one place that
// distrusts it: an exception becomes an internal error naming the policy, a
// choice is checked (indexes in range, distinct, at least one), and the
// policy hears of a changed group (members_changed).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/selection_algorithm.hpp"

namespace rpclb {

class Policy {
 public:
  // `label` names it in errors ("round_robin", "lru of /x/lru.so").
  Policy(std::shared_ptr<SelectionAlgorithm> algorithm, std::string label);

  // choose_one (count 1) or choose_many: indexes into selection.members.
  Result<std::vector<std::size_t>> choose(const Selection& selection, AlgorithmState& state, std::size_t count);
  // choose_one: an index into selection.members (a call's every attempt).
  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state);
  // The whole group as the bus lists it, before a choice: tells the policy
  // (members_changed) if it differs from the last one it was told of.
  Status notice(std::span<const Member> group, AlgorithmState& state);
  Status release(std::string_view member, AlgorithmState& state);
  Status observe(std::string_view member, std::chrono::microseconds round_trip, AlgorithmState& state);

  StateUse state_use() const { return state_use_; }
  const std::string& label() const { return label_; }

 private:
  Error failed(std::string_view step) const;
  Status in_range(std::size_t index, std::size_t size) const;

  std::shared_ptr<SelectionAlgorithm> algorithm_;
  std::string label_;
  StateUse state_use_;
  // The membership_version of the group it was last told of (0: none yet).
  std::uint64_t seen_group_ = 0;
};

}  // namespace rpclb
