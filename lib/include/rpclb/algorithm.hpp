// The selection algorithm API: what a load-balancing policy implements, what
// it sees of the members, and the state it may keep. The eight built-in
// policies are written against it, and so are yours: hand one to
// rpclb::Client (ClientOptions::algorithm_factory or algorithm_object), or
// build it into a plug-in the rpclb command loads (rpclb/algorithm_plugin.hpp).
// docs/writing-an-algorithm.md walks through both.
//
// Modelled on the Elixir library's SelectionAlgorithm behaviour:
//
//   factory(options)  -> init: validate `--opt key=value`, build the policy
//   choose_one        -> choose one member (required)
//   choose_many       -> choose N distinct members (optional; default: random)
//   release           -> the caller is done with a member (optional)
//   observe           -> how long a member took to answer (optional)
//   members_changed   -> the member list differs from the last one (optional)
//
// Policies are pure functions of what they are handed: the members, the
// caller's key and a random source (Selection, read-only), and the state
// (AlgorithmState, theirs to change). They do no I/O, which keeps them
// trivially testable. Everything here is defined in this header, so a
// plug-in needs no symbol from librpclb.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb {

// `--opt key=value` pairs (ClientOptions::algorithm_options), for the
// factory to validate.
using AlgorithmOptions = std::map<std::string, std::string, std::less<>>;

// A policy's estimate of this host's round trips to a member.
struct Latency {
  std::int64_t estimate_us = 0;  // microseconds
  std::int64_t stamp = 0;        // when it was last changed (wall-clock ms); 0: never measured
  friend bool operator==(const Latency&, const Latency&) = default;
};

// What a policy may keep between choices. For the rpclb command (and a
// Client with shared_state) it is the state file every caller of the group
// on this host shares, loaded and locked for the whole of one choice, so
// concurrent processes act like one balancer; otherwise it is the Client's.
class AlgorithmState {
 public:
  using Counters = std::map<std::string, std::int64_t, std::less<>>;

  // Named integers the policy owns. Prefix names with the policy's
  // ("round_robin.next"); a name with a space, tab or newline is not kept.
  // A state file that could not be read starts afresh, so any value (0, a
  // nonsense one) must be survivable: clamp what you read.
  virtual std::int64_t counter(std::string_view name, std::int64_t fallback) const = 0;
  std::int64_t counter(std::string_view name) const { return counter(name, 0); }
  virtual void set_counter(std::string_view name, std::int64_t value) = 0;
  virtual void erase_counter(std::string_view name) = 0;
  virtual const Counters& counters() const = 0;

  // This host's selections of `node` not yet released, by every policy and
  // caller of the group: `rpclb select` counts until `rpclb release`, a call
  // until it ends. acquire() counts one more for whoever is choosing;
  // release() gives back that caller's oldest (false: it had none).
  virtual std::int64_t outstanding(std::string_view node) const = 0;
  virtual void acquire(std::string_view node) = 0;
  virtual bool release(std::string_view node) = 0;
  // Only nodes with a non-zero count, in name order.
  virtual const Counters& outstanding_by_node() const = 0;

  // Round-trip estimates per node (StateUse::latencies); {0, 0}: none.
  virtual Latency latency(std::string_view node) const = 0;
  virtual void set_latency(std::string_view node, const Latency& record) = 0;

  // The time of this choice, in wall-clock milliseconds since the epoch:
  // the state is shared by processes, which must read times alike.
  virtual std::int64_t now_ms() const = 0;
  // Grows with every change: an index built from this state is current
  // while the generation (and the object) are the same.
  virtual std::uint64_t generation() const = 0;

 protected:
  ~AlgorithmState() = default;
};

// Everything one choice may look at.
struct Selection {
  // Never empty; ordered by name, so positions are stable across callers.
  // Already filtered by --match, and without the members this host has
  // ejected for failing (README, "Failure memory").
  std::span<const Member> members;
  std::optional<std::string> key;  // `--key`, for key-routed policies
  std::mt19937_64& rng;
  // Equal for equal member lists (names, order, weights): key a cache (a
  // hash ring, a weighted schedule) on it. 0 means unknown.
  std::uint64_t membership_version = 0;
  // Like membership_version, but also changes when an announced load (calls
  // in flight, CPU) does.
  std::uint64_t load_version = 0;
};

// What a policy keeps in AlgorithmState, which decides when the state store
// is locked:
//   none        never for the policy: it reads no state (a choice still
//               works when the store is unusable)
//   counters    to choose: it keeps a position (round robin)
//   selections  to choose, and again when a call ends: it counts this host's
//               outstanding selections (acquire), and a call's end releases one
//   latencies   as selections, and a call's end is also observed (observe())
enum class StateUse { none, counters, selections, latencies };

class SelectionAlgorithm {
 public:
  virtual ~SelectionAlgorithm() = default;

  // Index into selection.members of the chosen member. An error (bad_request
  // "needs --key", say) is reported to the caller as it is.
  virtual Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) = 0;

  // Up to `count` distinct members, best first. The default is the model's
  // fallback for policies with no multi-node notion: a random distinct subset
  // in random order.
  virtual Result<std::vector<std::size_t>> choose_many(const Selection& selection, AlgorithmState& /*state*/,
                                                       std::size_t count) {
    std::vector<std::size_t> order(selection.members.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), selection.rng);
    order.resize(std::min(count, order.size()));
    return order;
  }

  // The caller is done with a member it selected earlier. The default gives
  // back the caller's oldest outstanding selection of it, which is what
  // connection-counting policies count; it is harmless for the others.
  virtual void release(std::string_view node, AlgorithmState& state) { state.release(node); }

  // An attempt at `node` ended with a reply (or a timeout) `round_trip`
  // after it was sent; state.now_ms() is the time. Only asked of policies
  // whose state_use() is latencies.
  virtual void observe(std::string_view /*node*/, std::chrono::microseconds /*round_trip*/, AlgorithmState& /*state*/) {
  }

  // The group changed: `group` is every member as the bus lists it (before
  // --match and this host's ejections), and it differs (names, order,
  // weights) from what this object was last told; it is told before its
  // first choice too. The place to forget counters of members that left
  // (the state already forgets their selections and latencies).
  virtual void members_changed(std::span<const Member> /*group*/, AlgorithmState& /*state*/) {}

  virtual StateUse state_use() const { return StateUse::none; }
};

// Builds a policy from its options; a bad option is a bad_request that says
// what would be valid.
using AlgorithmFactory = std::function<Result<std::unique_ptr<SelectionAlgorithm>>(const AlgorithmOptions&)>;

// A member's load as this caller sees it: the calls in flight its agent last
// announced, plus this host's selections of it not yet released.
inline std::int64_t effective_load(const Member& member, const AlgorithmState& state) {
  return std::int64_t{member.load} + state.outstanding(member.name);
}

// Uniform index in [0, size), size >= 1.
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

}  // namespace rpclb
