// BalancerState: what a balancer remembers between choices, in two parts:
//
//   counters     named integers owned by a policy ("round_robin.next")
//   outstanding  per node: selections this caller made and has not released
//                (`rpclb select` +1, `rpclb release` / end of `rpclb call` -1)
//
// Where it is kept, and how it is locked, is state_store.hpp's business.
// Outstanding counts belong to the caller, not to a policy, so
// `rpclb release GROUP NODE` needs no --algorithm.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "common/protocol.hpp"
#include "rpclb/error.hpp"

namespace rpclb::algorithms {

// Most selections of one node a caller can hold: counts stay far from
// overflow, even added to an agent's announced load.
inline constexpr std::int64_t kMaxOutstanding = std::int64_t{1} << 31;

class BalancerState {
 public:
  using Entries = std::map<std::string, std::int64_t, std::less<>>;

  std::int64_t counter(std::string_view name, std::int64_t fallback = 0) const;
  void set_counter(std::string_view name, std::int64_t value);

  std::int64_t outstanding(std::string_view node) const;
  void acquire(std::string_view node);
  void release(std::string_view node);  // never below zero
  // Only nodes with a non-zero count, in name order.
  const Entries& outstanding_by_node() const { return outstanding_; }

  // Drops what is remembered about nodes no longer in the group.
  void retain_only(std::span<const protocol::MemberInfo> group_members);

  bool changed() const { return generation_ != 0; }
  // Grows with every change, so a policy can tell whether an index it built
  // from this state is still current.
  std::uint64_t generation() const { return generation_; }

  // Text form, one entry per line: "counter NAME VALUE" or "node NAME COUNT".
  // Parsing is strict; callers treat a failure as "start afresh".
  std::string serialize() const;
  static Result<BalancerState> parse(std::string_view text);

 private:
  void put(Entries& entries, std::string_view key, std::int64_t value, bool drop_zero);

  Entries counters_;
  Entries outstanding_;
  std::uint64_t generation_ = 0;
};

}  // namespace rpclb::algorithms
