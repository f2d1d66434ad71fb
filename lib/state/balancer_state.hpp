// BalancerState: what a balancer remembers between choices, in five parts:
//
//   counters     named integers owned by a policy ("round_robin.next")
//   holds        per node: selections made and not yet released (`rpclb
//                select` +1, `rpclb release` / end of a call -1), each with
//                its owner and an expiry, so a count nobody gives back (a
//                crashed script, a killed `rpclb call`) does not last
//   ejections    per node: this host's memory of its failures
//                (lib/outlier_detection.hpp decides what they mean)
//   tally        calls and retries per second, for the retry budget
//                (lib/retry_budget.hpp)
//   latencies    per node: a policy's estimate of this host's round trips
//                to it (peak_ewma), with when it was last changed
//
// Where it is kept, and how it is locked, is state_store.hpp's business.
// Holds belong to the caller, not to a policy, so `rpclb release GROUP NODE`
// needs no --algorithm. Times are wall-clock milliseconds since the epoch:
// the state is shared by processes, and each must read them alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>

#include "common/protocol.hpp"
#include "rpclb/algorithm.hpp"
#include "rpclb/error.hpp"

namespace rpclb::state {

// Most selections of one node a caller can hold: counts stay far from
// overflow, even added to an agent's announced load.
inline constexpr std::int64_t kMaxOutstanding = std::int64_t{1} << 31;

// Wall-clock milliseconds since the epoch.
using WallMs = std::int64_t;
WallMs wall_now();

// Whose selections a hold counts: a process that gives them back when it
// ends (an `rpclb call`, a library Client's call), or nobody in particular
// (kAnyOwner: `rpclb select`, whose script releases later, if ever).
inline constexpr std::int64_t kAnyOwner = 0;

// A hold's expiry is rounded up to a sixtieth of its time to live (at most
// 10 s), so one owner's selections of a node take at most 61 lines of the
// state file, not one each.
WallMs hold_grain(WallMs ttl_ms);

// A member's instance as a number an Ejection can keep (never 0).
std::int64_t instance_mark(std::string_view instance);

// Who is choosing, and when; acquire() and release() act for it.
struct Chooser {
  std::int64_t owner = kAnyOwner;
  WallMs now = 0;
  WallMs hold_ttl_ms = 600'000;
};

struct Ejection {
  std::int64_t timeouts = 0;   // consecutive request timeouts since the last reply
  std::int64_t ejections = 0;  // times ejected since the last reply (the back-off's exponent)
  WallMs until = 0;            // skipped until then; 0: not ejected
  // Which run of the member failed (instance_mark); a restarted member is a
  // new one, and owes nothing.
  std::int64_t instance = 0;
  friend bool operator==(const Ejection&, const Ejection&) = default;
};

struct Tally {
  std::int64_t calls = 0;
  std::int64_t retries = 0;
};

using rpclb::Latency;

// What a policy sees of it is AlgorithmState, the public interface
// (rpclb/algorithm.hpp); the rest is the balancer's.
class BalancerState final : public AlgorithmState {
 public:
  using Entries = AlgorithmState::Counters;

  using AlgorithmState::counter;
  std::int64_t counter(std::string_view name, std::int64_t fallback) const override;
  void set_counter(std::string_view name, std::int64_t value) override;
  void erase_counter(std::string_view name) override;
  const Entries& counters() const override { return counters_; }

  // acquire() and release() hold for, and expire from, this chooser.
  void set_chooser(const Chooser& chooser) { chooser_ = chooser; }
  const Chooser& chooser() const { return chooser_; }
  std::int64_t now_ms() const override { return chooser_.now; }

  std::int64_t outstanding(std::string_view node) const override;
  void acquire(std::string_view node) override;
  // Gives back the chooser's oldest hold of `node`; false if it had none.
  bool release(std::string_view node) override;
  const Entries& outstanding_by_node() const override { return outstanding_; }
  // Drops holds that have expired by the chooser's `now`, and those of owners
  // that are no longer running.
  void expire_holds(const std::function<bool(std::int64_t owner)>& owner_alive);

  // Nodes with something remembered against them, by name.
  const std::map<std::string, Ejection, std::less<>>& ejections() const { return ejections_; }
  Ejection ejection(std::string_view node) const;
  // An all-zero record is forgotten.
  void set_ejection(std::string_view node, const Ejection& record);

  // Calls and retries counted in each second (wall time / 1000).
  void count_call(std::int64_t second, bool retry);
  // Totals from `since` on; seconds before it are forgotten.
  Tally tally_since(std::int64_t since);

  // Nothing recorded: {0, 0}.
  Latency latency(std::string_view node) const override;
  void set_latency(std::string_view node, const Latency& record) override;

  // Drops what is remembered about nodes no longer in the group, and the
  // failures of a member's earlier run.
  void retain_only(std::span<const Member> group_members);

  bool changed() const { return generation_ != 0; }
  // Grows with every change, so a policy can tell whether an index it built
  // from this state is still current.
  std::uint64_t generation() const override { return generation_; }

  // Text form, one entry per line:
  //   counter NAME VALUE
  //   hold NODE OWNER EXPIRES COUNT
  //   eject NODE TIMEOUTS EJECTIONS UNTIL INSTANCE
  //   tally SECOND CALLS RETRIES
  //   latency NODE ESTIMATE_US STAMP
  // Parsing is strict; callers treat a failure as "start afresh".
  std::string serialize() const;
  static Result<BalancerState> parse(std::string_view text);

 private:
  struct HoldKey {
    std::string node;
    std::int64_t owner;
    WallMs expires;
    friend auto operator<=>(const HoldKey&, const HoldKey&) = default;
  };
  void add_hold(const HoldKey& key, std::int64_t count);
  void drop_hold(std::map<HoldKey, std::int64_t>::iterator hold, std::int64_t count);

  Entries counters_;
  std::map<HoldKey, std::int64_t> holds_;
  Entries outstanding_;  // holds_ summed by node
  std::map<std::string, Ejection, std::less<>> ejections_;
  std::map<std::int64_t, Tally> tally_;
  std::map<std::string, Latency, std::less<>> latencies_;
  Chooser chooser_;
  std::uint64_t generation_ = 0;
};

}  // namespace rpclb::state
