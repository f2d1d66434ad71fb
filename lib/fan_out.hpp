// Fan-out: one function on several members at once, beside a Balancer rather
// than inside it (no selection, no retries): `rpclb call --all`, `call -n`,
// `ping` and `status`.
#pragma once

#include <zmq.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "common/rpc_client.hpp"
#include "lib/balancer.hpp"

namespace rpclb {

struct FanOut {
  std::string function;
  std::string args_msgpack;
  RpcOptions transport;      // deadline, connect timeout, CURVE
  std::size_t parallel = 8;  // calls in flight at once
};

// Runs the function on each of `nodes`; results come back in the order of
// `nodes`, each with its round trip.
std::vector<Result<CallOutcome>> call_each(zmq::context_t& context, const std::vector<protocol::MemberInfo>& nodes,
                                           const FanOut& fan_out);

}  // namespace rpclb
