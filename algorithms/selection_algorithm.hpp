// SelectionAlgorithm: the one interface every load-balancing policy
// implements. A policy lives in its own folder under algorithms/ and is
// registered by name in algorithms/registry.cpp.
//
// Policies are pure functions of what they are handed: the filtered members,
// the caller's key, the balancer's persistent state and a random source. They
// never touch sockets or files, which keeps them trivially unit-testable.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/balancer_state.hpp"
#include "common/error.hpp"
#include "common/protocol.hpp"

namespace rpclb::algorithms {

// `--opt key=value` pairs, validated by each policy's factory.
using AlgorithmOptions = std::map<std::string, std::string, std::less<>>;

// Everything one choice may look at.
struct Selection {
  // Never empty; ordered by name, so positions are stable across callers.
  std::span<const protocol::MemberInfo> members;
  std::optional<std::string> key;  // `--key`, for key-routed policies
  BalancerState& state;            // survives across rpclb invocations on this host
  std::mt19937_64& rng;
};

class SelectionAlgorithm {
 public:
  virtual ~SelectionAlgorithm() = default;

  // Index into selection.members of the chosen member.
  virtual Result<std::size_t> choose_one(const Selection& selection) = 0;

  // Up to `count` distinct members, best first. The default is the model's
  // fallback for policies with no multi-node notion: a random distinct subset
  // in random order.
  virtual Result<std::vector<std::size_t>> choose_many(const Selection& selection, std::size_t count);

  // The caller is done with a member it selected earlier (connection-tracking
  // policies count these).
  virtual void release(std::string_view /*node*/, BalancerState& /*state*/) {}

  // Whether this policy reads or writes BalancerState. Stateless policies skip
  // the state file entirely.
  virtual bool stateful() const { return false; }
};

}  // namespace rpclb::algorithms
