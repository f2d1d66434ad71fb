// SelectionAlgorithm: the one interface every load-balancing policy
// implements, modelled on the Elixir library's SelectionAlgorithm behaviour:
//
//   factory(options)  -> init: validate `--opt key=value`, build the policy
//   choose_one        -> pick one member (required)
//   choose_many       -> pick N distinct members (optional; default: random)
//   release           -> the caller is done with a member (optional)
//   observe           -> how long a member took to answer (optional)
//
// A policy lives in its own folder under algorithms/ and is registered by
// name in algorithms/registry.cpp; docs/writing-an-algorithm.md walks through
// one. Policies are pure functions of what they are handed: the members, the
// caller's key and a random source (Selection, read-only), and the balancer's
// state (BalancerState, theirs to change, passed on its own). They never
// touch sockets or files, which keeps them trivially unit-testable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "algorithms/balancer_state.hpp"
#include "common/protocol.hpp"
#include "rpclb/error.hpp"

namespace rpclb::algorithms {

// `--opt key=value` pairs, validated by each policy's factory.
using AlgorithmOptions = std::map<std::string, std::string, std::less<>>;

// Everything one choice may look at.
struct Selection {
  // Never empty; ordered by name, so positions are stable across callers.
  std::span<const protocol::MemberInfo> members;
  std::optional<std::string> key;  // `--key`, for key-routed policies
  std::mt19937_64& rng;
  // Equal for equal member lists (names, order, weights): policies key their
  // caches (a hash ring, a weighted schedule) on it. 0 means unknown.
  std::uint64_t membership_version = 0;
  // Like membership_version, but also changes when an announced load (calls
  // in flight, CPU) does.
  std::uint64_t load_version = 0;
};

std::uint64_t membership_version(std::span<const protocol::MemberInfo> members);
std::uint64_t load_version(std::span<const protocol::MemberInfo> members);

// What a policy keeps in BalancerState, which decides when its balancer
// locks the state store (the state file every rpclb on the host shares):
//   none        never: the policy reads no state
//   counters    to choose: it keeps a position (round robin)
//   selections  to choose, and again when a call ends: it counts this host's
//               outstanding selections of each member, and a call's end
//               releases one
//   latencies   as selections, and a call's end is also observed (observe())
enum class StateUse { none, counters, selections, latencies };

class SelectionAlgorithm {
 public:
  virtual ~SelectionAlgorithm() = default;

  // `state` survives across rpclb invocations on this host; a policy changes
  // it only through this parameter.
  // Index into selection.members of the chosen member.
  virtual Result<std::size_t> choose_one(const Selection& selection, BalancerState& state) = 0;

  // Up to `count` distinct members, best first. The default is the model's
  // fallback for policies with no multi-node notion: a random distinct subset
  // in random order.
  virtual Result<std::vector<std::size_t>> choose_many(const Selection& selection, BalancerState& state,
                                                       std::size_t count);

  // The caller is done with a member it selected earlier. The default drops
  // the caller's oldest outstanding selection of it, which is what
  // connection-tracking policies count; it is harmless for the others.
  virtual void release(std::string_view node, BalancerState& state) { state.release(node); }

  // An attempt at `node` ended with a reply (or a timeout) `round_trip`
  // after it was sent; state.chooser().now is the time. Only asked of
  // policies whose state_use() is latencies.
  virtual void observe(std::string_view /*node*/, std::chrono::microseconds /*round_trip*/, BalancerState& /*state*/) {}

  virtual StateUse state_use() const { return StateUse::none; }
};

// A member's load as this caller sees it: the calls in flight the agent last
// announced, plus this caller's selections of it not yet released.
inline std::int64_t effective_load(const protocol::MemberInfo& member, const BalancerState& state) {
  return std::int64_t{member.load} + state.outstanding(member.name);
}

// Uniform index in [0, size).
inline std::size_t uniform_index(std::mt19937_64& rng, std::size_t size) {
  return std::uniform_int_distribution<std::size_t>(0, size - 1)(rng);
}

// Two distinct uniform indexes in [0, size), size >= 2: the power of two
// choices' sample.
inline std::pair<std::size_t, std::size_t> two_distinct(std::mt19937_64& rng, std::size_t size) {
  const std::size_t first = uniform_index(rng, size);
  std::size_t second = uniform_index(rng, size - 1);
  if (second >= first) ++second;
  return {first, second};
}

}  // namespace rpclb::algorithms
