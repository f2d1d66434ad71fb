// Fan-out: one function on several members at once, in parallel. The rounds
// (fan_out: `rpclb call --all`, `call -n`, `cast --all`) choose members and
// replace those that could not take the request; exchange_each is their
// transport, and `ping` and `status` use it alone (they ask every member).
#pragma once

#include <zmq.hpp>

#include <cstddef>
#include <functional>
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
};

struct Exchanged {
  Result<protocol::CallReply> reply;  // an error here is the transport's, not the agent's
  std::chrono::microseconds round_trip{0};
};

// Sends the request to each of `members` (from this thread, over one
// RpcPipeline); replies come back in the order of `members`, each with its
// round trip.
std::vector<Exchanged> exchange_each(zmq::context_t& context, const std::vector<Member>& members,
                                     const FanOut& fan_out);
// The same, as outcomes: the result, or the transport's or the agent's error.
std::vector<Result<CallOutcome>> call_each(zmq::context_t& context, const std::vector<Member>& members,
                                           const FanOut& fan_out);

// A fan-out's transport: exchange_each over some context, or a fake.
using ExchangeEach = std::function<std::vector<Exchanged>(const std::vector<Member>& members, const FanOut& fan_out)>;

// What a fan-out ended with.
struct FanOutResults {
  std::vector<Member> members;               // who was asked, in the end
  std::vector<Result<CallOutcome>> results;  // one per member
  // What the caller should hear beside the results: "replaced MEMBER: why"
  // for each member replaced, and how many were chosen when fewer than asked.
  std::vector<std::string> notes;
};

// Runs `fan_out` on `count` members chosen by the policy (0: on every member
// that matches). A chosen member that could not take the request is
// replaced by another, up to `retries` rounds, as single calls retry.
Result<FanOutResults> fan_out(BalancerParts& parts, std::size_t count, const FanOut& fan_out,
                              const ExchangeEach& exchange);

}  // namespace rpclb
