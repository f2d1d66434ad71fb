// Balancer: the client library under the `rpclb` CLI. One Balancer is one
// load balancer as the model defines it (a group, a selection algorithm with
// options, a member filter), assembled from its parts (lib/balancer_parts.hpp),
// and every operation follows the same one-way path:
//
//   bus snapshot -> members of the group -> --match filter -> algorithm -> transport
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "algorithms/selection_algorithm.hpp"
#include "common/bus_client.hpp"
#include "common/clock.hpp"
#include "common/curve.hpp"
#include "common/match_filter.hpp"
#include "common/protocol.hpp"
#include "common/rpc_client.hpp"
#include "common/rpc_pipeline.hpp"
#include "lib/balancer_parts.hpp"
#include "lib/call_attempts.hpp"
#include "lib/call_outcome.hpp"
#include "lib/fan_out.hpp"
#include "rpclb/client.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

struct BalancerOptions {
  std::vector<std::string> bus;
  std::string group;
  std::string algorithm = kDefaultAlgorithm;
  // Where `algorithm` was named, when not by the caller ("FILE line N"):
  // an unknown name's error says so.
  std::string algorithm_origin;
  AlgorithmOptions algorithm_options;
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
  RetrySettings retry;
  // When no member matches, wait this long for one to join (the model's
  // no-route retry) instead of failing at once.
  std::chrono::milliseconds wait_for_member{0};
  FailureMemory failure_memory;
  std::optional<CurveConfig> curve;  // set: talk CURVE to hubs and agents
  // Tracing (rpclb --trace, --request-id): every call carries `request_id`
  // to the members that read it (0.3.0 and later, whose logs show it), and
  // each attempt's end is told to `on_attempt`.
  std::string request_id;
  AttemptTrace::OnAttempt on_attempt;

  // For long-lived users of the library (the CLI leaves these as they are):
  // reuse a discovered member list for this long instead of asking the bus
  // on every operation,
  std::chrono::milliseconds membership_refresh{0};
  // keep the algorithm's state in the file every rpclb on this host shares
  // (true), or in this balancer's memory (false; lib/state/state_store.hpp),
  bool shared_state = true;
  // and share one ZeroMQ context (caller-owned) between balancers.
  zmq::context_t* context = nullptr;
  // Where the group's members come from instead of the bus (a fake, in tests).
  Discover discover;
};

class Balancer {
 public:
  // Validates the algorithm, its options and the match patterns up front.
  static Result<Balancer> create(BalancerOptions options);

  // Members of the group that pass the filter, in name order.
  // service_unavailable if there are none.
  Result<std::vector<Member>> members(Clock::time_point deadline);
  // Up to `count` distinct members chosen by the algorithm (count 1: exactly
  // one); `key` overrides options.key.
  Result<std::vector<Member>> select(std::size_t count, Clock::time_point deadline,
                                     const std::optional<std::string>& key = std::nullopt);
  // Tells the algorithm this caller is done with `member`: true if an
  // outstanding selection of it was dropped, false if there was none.
  Result<bool> release(const std::string& member) { return rpclb::release(parts_.memory, member); }
  // What this host's callers remember of the group's members now.
  Result<Remembered> remembered() { return rpclb::remembered(parts_.memory); }
  // Selects a member and runs `function` on it; a call is released when it
  // ends. A member that could not take the request is not chosen again, and
  // up to `retries` others are tried.
  Result<CallOutcome> call(const std::string& function, std::string args_msgpack, protocol::CallMode mode,
                           Clock::time_point deadline, const std::optional<std::string>& key = std::nullopt);
  // Runs a begun call to its end on this thread, over this balancer's own
  // connections (lib/call_attempts.hpp, run_call).
  Result<CallOutcome> run(CallAttempts call, std::mutex* parts_mutex = nullptr);
  // Reads what this balancer's own connections (run's) reported while no
  // call ran, and closes those that went down with nothing waiting, so a
  // client idle beside a dead member holds nothing that retries or grows.
  // Call it from the thread that may call run(), or under the same lock.
  void tend_connections();
  // A call, step by step (lib/call_attempts.hpp).
  Status begin_call(CallAttempts& call, std::string_view function, std::string args_msgpack, protocol::CallMode mode,
                    Clock::time_point deadline, const std::optional<std::string>& key) const {
    return rpclb::begin_call(parts_, call, function, std::move(args_msgpack), mode, deadline, key);
  }
  Status aim(CallAttempts& call) { return rpclb::aim(parts_, call, ids_); }
  std::optional<Result<CallOutcome>> conclude(CallAttempts& call, Result<protocol::CallReply>&& reply) {
    return rpclb::conclude(parts_, call, std::move(reply));
  }
  // Runs `request` (its function, arguments, mode, parallelism and input;
  // this balancer gives its transport and request id) on `count` members
  // chosen by the algorithm (0: on every member), telling `watch` as it goes
  // (lib/fan_out.hpp).
  Result<FanOutResults> fan_out(std::size_t count, FanOut request, Clock::time_point deadline,
                                const FanOutWatch& watch = {});

  // How this balancer reaches the bus and its members, for what works beside
  // it on the same members (fan-out, watching).
  zmq::context_t& context() { return options_.context ? *options_.context : *own_context_; }
  DiscoveryOptions discovery(Clock::time_point deadline) const;
  RpcOptions transport(Clock::time_point deadline) const;
  const MatchFilter& filter() const { return parts_.candidates.filter(); }

 private:
  Balancer(BalancerOptions options, std::unique_ptr<zmq::context_t> own_context, BalancerParts parts);
  RpcPipeline& pipeline();

  BalancerOptions options_;
  std::unique_ptr<zmq::context_t> own_context_;
  BalancerParts parts_;
  std::mt19937_64 ids_;                    // request ids
  std::unique_ptr<RpcPipeline> pipeline_;  // one connection per member, kept
};

}  // namespace rpclb
