// Fan-out: one function on several members at once, in parallel. The rounds
// (fan_out: `rpclb call --all`, `call -n`, `cast --all`) choose members and
// replace those that could not take the request; exchange_each is their
// transport, and `ping` and `status` use it alone (they ask every member).
#pragma once

#include <zmq.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/rpc_client.hpp"
#include "lib/balancer_parts.hpp"
#include "lib/call_outcome.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

// The most requests a fan-out keeps in flight at once (--parallel).
inline constexpr std::size_t kMaxFanOutParallel = 256;
// ZeroMQ sockets a context needs for a fan-out at kMaxFanOutParallel: three
// per member in flight (its DEALER, and its monitor's two PAIRs), as many
// again still closing in libzmq's reaper, and the default 1,023 besides.
inline constexpr int kFanOutMaxSockets = static_cast<int>(kMaxFanOutParallel) * 3 * 2 + 1023;

struct FanOut {
  std::string function;
  std::string args_msgpack;
  RpcOptions transport;      // deadline, connect timeout, CURVE
  std::size_t parallel = 8;  // requests in flight at once, over one connection per member
  protocol::CallMode mode = protocol::CallMode::call;
  std::string request_id;  // traced: sent to each member that reads it
  // For the program's standard input (rpclb call --stdin): sent to members
  // that read it (protocol::can_carry); the others answer service_unavailable.
  std::optional<std::string> input;
};

struct Exchanged {
  Result<protocol::CallReply> reply;  // an error here is the transport's, not the agent's
  std::chrono::microseconds round_trip{0};
};

// What a fan-out's caller hears while it runs, and how it ends one early.
struct FanOutWatch {
  // A member's request was sent (or queued to be): `rpclb`'s progress line
  // names the one that has waited longest.
  std::function<void(const Member&)> on_sent;
  // Its answer arrived, final or not (one that could not take the request
  // may be replaced).
  std::function<void(const Member&)> on_arrived;
  // How many members the fan-out asks (known once they are chosen).
  std::function<void(std::size_t)> on_planned;
  // A member's final result, as soon as it is known (arrival order).
  std::function<void(const Member&, const Result<CallOutcome>&)> on_result;
  // Called each time the wait wakes, at least every `tick` while set.
  std::function<void()> on_tick;
  std::chrono::milliseconds tick{200};
  // True once the caller wants it to end now (`rpclb` on SIGINT or SIGTERM):
  // looked at whenever the wait wakes; `wake_fd` (if not -1) readable wakes it.
  std::function<bool()> stop_requested;
  int wake_fd = -1;

  bool stopped() const { return stop_requested && stop_requested(); }
};

// One member's reply, as it arrives: its index in `members`.
using OnExchanged = std::function<void(std::size_t, Exchanged)>;

// Sends the request to each of `members` (from this thread, over one
// RpcPipeline), `parallel` at a time, and hands each reply with its round
// trip to `on_exchanged` as it arrives. False if `watch` stopped it first:
// the requests still out are then abandoned, unreported.
bool exchange_each(zmq::context_t& context, const std::vector<Member>& members, const FanOut& fan_out,
                   const OnExchanged& on_exchanged, const FanOutWatch& watch = {});
// The same, waited for to the end, as outcomes in the order of `members`:
// the result, or the transport's or the agent's error.
std::vector<Result<CallOutcome>> call_each(zmq::context_t& context, const std::vector<Member>& members,
                                           const FanOut& fan_out);

// A fan-out's transport: exchange_each over some context, or a fake.
using ExchangeEach = std::function<bool(const std::vector<Member>& members, const FanOut& fan_out,
                                        const OnExchanged& on_exchanged, const FanOutWatch& watch)>;

// What a fan-out ended with.
struct FanOutResults {
  std::vector<Member> members;               // who answered (or failed), in the order chosen
  std::vector<Result<CallOutcome>> results;  // one per member
  // What the caller should hear beside the results: "replaced MEMBER: why"
  // for each member replaced, and how many were chosen when fewer than asked.
  std::vector<std::string> notes;
  // Stopped by the watch: the members whose answer had not arrived.
  bool stopped = false;
  std::vector<Member> pending;
};

// Runs `fan_out` on `count` members chosen by the policy (0: on every member
// that matches). A chosen member that could not take the request, or lacks
// the function, is replaced by another, up to `retries` rounds, as single
// calls retry. Each final result is told to `watch` as it arrives.
Result<FanOutResults> fan_out(BalancerParts& parts, std::size_t count, const FanOut& fan_out,
                              const ExchangeEach& exchange, const FanOutWatch& watch = {});

}  // namespace rpclb
