// Balancer: the client library under the `rpclb` CLI. One Balancer is one
// load balancer as the model defines it (a group, a selection algorithm with
// options, a node filter), and every operation follows the same one-way path:
//
//   bus snapshot -> members of the group -> --match filter -> algorithm -> transport
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "algorithms/selection_algorithm.hpp"
#include "algorithms/state_store.hpp"
#include "common/bus_client.hpp"
#include "common/clock.hpp"
#include "common/curve.hpp"
#include "common/match_filter.hpp"
#include "common/protocol.hpp"
#include "common/rpc_client.hpp"
#include "common/rpc_pipeline.hpp"
#include "lib/call_outcome.hpp"
#include "lib/outlier_detection.hpp"
#include "lib/policy.hpp"
#include "lib/retry_budget.hpp"
#include "rpclb/client.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

// A function on several members at once (`call --all`, `call -n`, `cast --all`).
struct FanOutResults {
  std::vector<Member> nodes;                 // who was asked, in the end
  std::vector<Result<CallOutcome>> results;  // one per node
  // What the caller should hear beside the results: "replaced NODE: why" for
  // each member replaced, and how many were chosen when fewer than asked.
  std::vector<std::string> notes;
};

// How one attempt of a traced call ended (rpclb --trace): a line each.
struct AttemptReport {
  std::string request_id;
  std::uint32_t attempt = 1;  // 1: the first; fan-out: the round
  std::string member;
  std::string endpoint;
  std::optional<Error> error;  // nullopt: served
  std::chrono::microseconds took{0};
  // Members passed over for it: ejected on this host.
  std::vector<std::string> skipped_ejected;
  // This failure ejected the member until then (wall-clock ms); 0: it did not.
  algorithms::WallMs ejected_until = 0;
  // The member runs a version that cannot carry the request id.
  bool id_dropped = false;
};

// One call on its way through selection and retries: Balancer::call steps
// it with a request in flight at a time, the asynchronous client with many.
struct CallAttempts {
  protocol::CallRequest request;  // addressed to `node` by Balancer::aim
  Clock::time_point deadline;     // the whole call's
  std::optional<std::string> key;
  Member node;                         // this attempt's member
  Clock::time_point attempt_deadline;  // this attempt's share of the deadline
  std::uint32_t attempt = 0;           // 0: the first
  std::set<std::string> failed;        // members that could not take it
  std::string history;                 // what they said, for the final error
  // false: aim fails at once when no member matches, instead of waiting up
  // to wait_for_member (the asynchronous client parks the call rather than
  // block its loop), and then says so here.
  bool may_wait = true;
  bool nobody_matched = false;
  Clock::time_point stop_waiting;            // for a member to join: wait_for_member from the start
  Clock::time_point attempt_started;         // when aim addressed this attempt
  std::vector<std::string> skipped_ejected;  // traced: passed over for this attempt
  bool id_dropped = false;                   // traced: this member cannot carry the id
  // Whether to look again shortly: no member matched yet, and there is time.
  bool worth_waiting() const;
};

// How often an empty group is asked again under wait_for_member.
inline constexpr std::chrono::milliseconds kMemberPollInterval{50};

struct BalancerOptions {
  std::vector<std::string> bus;
  std::string group;
  std::string algorithm = kDefaultAlgorithm;
  // Where `algorithm` was named, when not by the caller ("FILE line N"):
  // an unknown name's error says so.
  std::string algorithm_origin;
  algorithms::AlgorithmOptions algorithm_options;
  // Plug-ins whose algorithms `algorithm` may name (lib/algorithm_plugin_loader.hpp).
  std::vector<std::string> algorithm_plugins;
  // The caller's own policy instead of a named one (`algorithm` then only
  // names it in errors): a factory given algorithm_options, or an object.
  AlgorithmFactory algorithm_factory;
  std::shared_ptr<SelectionAlgorithm> algorithm_object;
  std::vector<std::string> match;  // exact names or /regex/
  std::optional<std::string> key;  // for key-routed algorithms
  std::chrono::milliseconds bus_timeout{1000};
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;
  // Further members to try when one could not take the request (unreachable,
  // draining, at capacity): the request was never run there, so it is safe.
  std::uint32_t retries = 2;
  // Also retry after a timeout, when the request may have run. Only for
  // idempotent functions.
  bool retry_on_timeout = false;
  // When no member matches, wait this long for one to join (the model's
  // no-route retry) instead of failing at once.
  std::chrono::milliseconds wait_for_member{0};
  FailureMemory failure_memory;
  std::optional<CurveConfig> curve;  // set: talk CURVE to hubs and agents
  // Tracing (rpclb --trace, --request-id): every call carries `request_id`
  // to the members that read it (0.3.0 and later, whose logs show it), and
  // each attempt's end is told to `on_attempt`.
  std::string request_id;
  std::function<void(const AttemptReport&)> on_attempt;

  // For long-lived users of the library (the CLI leaves these as they are):
  // reuse a discovered member list for this long instead of asking the bus
  // on every operation,
  std::chrono::milliseconds membership_refresh{0};
  // keep the algorithm's state in the file every rpclb on this host shares
  // (true), or in this balancer's memory (false; algorithms/state_store.hpp),
  bool shared_state = true;
  // and share one ZeroMQ context (caller-owned) between balancers.
  zmq::context_t* context = nullptr;
};

class Balancer {
 public:
  // Validates the algorithm, its options and the match patterns up front.
  static Result<Balancer> create(BalancerOptions options);

  // Members of the group that pass the filter, in name order.
  // service_unavailable if there are none.
  Result<std::vector<Member>> members(Clock::time_point deadline);
  // Up to `count` distinct members chosen by the algorithm (count 1: exactly
  // one), never one named in `excluded`; `key` overrides options.key.
  Result<std::vector<Member>> select(std::size_t count, Clock::time_point deadline,
                                     const std::set<std::string>& excluded = {},
                                     const std::optional<std::string>& key = std::nullopt);
  // Tells the algorithm this caller is done with `node`: true if an
  // outstanding selection of it was dropped, false if there was none.
  Result<bool> release(const std::string& node);
  // What this host's callers remember of the group's members now.
  struct Remembered {
    std::map<std::string, algorithms::WallMs, std::less<>> ejected_until;  // skipped until (wall-clock ms)
    std::map<std::string, std::int64_t, std::less<>> outstanding;          // selections not yet released
  };
  Result<Remembered> remembered();
  // Selects a member and runs `function` on it; a call is released when it
  // ends. A member that could not take the request is not chosen again, and
  // up to `retries` others are tried.
  Result<CallOutcome> call(const std::string& function, std::string args_msgpack, protocol::CallMode mode,
                           Clock::time_point deadline, const std::optional<std::string>& key = std::nullopt);
  // Runs a begun call to its end on this thread, over this balancer's own
  // connections. With `selection_mutex`, holds it only while choosing and
  // recording, never while waiting (for a reply, or for a member to join):
  // the client's I/O thread steps other calls meanwhile.
  Result<CallOutcome> run(CallAttempts call, std::mutex* selection_mutex = nullptr);
  // Reads what this balancer's own connections (run's) reported while no
  // call ran, and closes those that went down with nothing waiting, so a
  // client idle beside a dead member holds nothing that retries or grows.
  // Call it from the thread that may call run(), or under the same lock.
  void tend_connections();
  // A call, step by step (what call() does): begin_call checks it; aim
  // chooses the member for the next attempt and addresses the request to
  // it (an error ends the call); conclude records how the attempt ended and
  // says how the call ends, or nothing: aim again.
  Result<CallAttempts> begin_call(const std::string& function, std::string args_msgpack, protocol::CallMode mode,
                                  Clock::time_point deadline, const std::optional<std::string>& key);
  Status aim(CallAttempts& call);
  std::optional<Result<CallOutcome>> conclude(CallAttempts& call, Result<protocol::CallReply> reply);
  // Runs `function` on `count` members chosen by the algorithm (0: on every
  // member), `parallel` at a time. A chosen member that could not take the
  // request is replaced by another, up to `retries` rounds, as single calls
  // retry.
  Result<FanOutResults> fan_out(std::size_t count, const std::string& function, const std::string& args_msgpack,
                                protocol::CallMode mode, Clock::time_point deadline, std::size_t parallel);

  // How this balancer reaches the bus and its members, for what works beside
  // it on the same members (fan-out, watching).
  zmq::context_t& context() { return options_.context ? *options_.context : *own_context_; }
  DiscoveryOptions discovery(Clock::time_point deadline) const;
  RpcOptions transport(Clock::time_point deadline) const;
  const MatchFilter& filter() const { return filter_; }

 private:
  // What the bus says about the group: all of it (before --match), and the
  // members that may be chosen (after --match, without the excluded).
  // The matching members are the group itself, uncopied, when nothing is
  // filtered out (a long-lived client's every call).
  using Group = std::shared_ptr<const std::vector<Member>>;
  struct Candidates {
    Group group;
    std::vector<Member> narrowed;  // when some are filtered out
    bool whole_group = false;
    std::span<const Member> matching() const { return whole_group ? std::span<const Member>(*group) : narrowed; }
  };

  // Why members are chosen: it decides what the choice counts against the
  // retry budget, and who holds it (a call's hold ends with its process).
  enum class Purpose { select, first_attempt, retry };

  Balancer(BalancerOptions options, MatchFilter filter, Policy policy);
  Result<std::vector<Member>> pick(std::size_t count, Clock::time_point deadline, const std::set<std::string>& excluded,
                                   const std::optional<std::string>& key, Purpose purpose);
  algorithms::Chooser chooser(Purpose purpose) const;
  // Whether the policy counts selections, so each call's end gives one back.
  bool holds_selections() const {
    const auto use = policy_.state_use();
    return use == algorithms::StateUse::selections || use == algorithms::StateUse::latencies;
  }
  // Prepares the shared state for a choice or a record at `chooser.now`.
  void tidy(algorithms::BalancerState& state, const algorithms::Chooser& chooser) const;
  // A call that ended: to whom, and how.
  struct Ended {
    const Member& node;
    const Result<protocol::CallReply>& reply;
    std::chrono::microseconds round_trip;
  };
  // What calls' ends tell this host about their members, in one write at
  // most; gives back their holds. `mode`: a cast's round trip ends when it
  // is accepted, so it says nothing of how long the member takes to serve,
  // and latency-aware policies observe only calls'.
  // Waits for the state store no later than `deadline`: past it, the calls'
  // outcomes stand and only their memory is lost.
  Status settle(std::span<const Ended> calls, bool holds, protocol::CallMode mode, Clock::time_point deadline);
  // Every member of the group, as the bus knows it (before --match).
  Result<Group> discover(Clock::time_point deadline);
  // Waits up to wait_for_member for a member to match when none does.
  Result<Candidates> candidates(Clock::time_point deadline, const std::set<std::string>& excluded);
  // What the bus says now; no member may match.
  Result<Candidates> matching_now(Clock::time_point deadline, const std::set<std::string>& excluded);
  Error nobody_matches(const std::set<std::string>& excluded) const;
  // Waits for the state store no later than `deadline` (request_timeout past it).
  Result<std::vector<Member>> choose(const Candidates& found, std::size_t count, const std::optional<std::string>& key,
                                     Purpose purpose, Clock::time_point deadline);
  RpcPipeline& pipeline();
  // Tracing: notes who a choice passed over as ejected, and tells
  // on_attempt how an attempt ended.
  void note_skipped(std::span<const Member> matching, std::span<const Member> available);
  void report_attempt(const Member& node, std::uint32_t attempt, const Result<CallOutcome>& outcome,
                      std::chrono::microseconds took, std::vector<std::string> skipped, bool id_dropped);

  BalancerOptions options_;
  MatchFilter filter_;
  Policy policy_;
  OutlierDetection outliers_;
  RetryBudget retry_budget_;
  algorithms::StateStore state_;
  // Members with a failure record when the state was last read: a success
  // of anyone else needs no write.
  std::set<std::string, std::less<>> remembered_;
  // Traced only: who the last choice passed over as ejected, and whom the
  // last settle ejected (until when).
  std::vector<std::string> skipped_ejected_;
  std::map<std::string, algorithms::WallMs, std::less<>> just_ejected_;
  std::unique_ptr<zmq::context_t> own_context_;
  std::mt19937_64 rng_;
  Group cached_group_;   // when membership_refresh > 0
  Group noticed_group_;  // the list the policy was last told of
  std::optional<Clock::time_point> cached_at_;
  std::unique_ptr<RpcPipeline> pipeline_;  // one connection per member, kept
};

}  // namespace rpclb
