// One request/reply exchange with one agent, bounded by a deadline.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <string>

#include "common/curve.hpp"
#include "common/error.hpp"
#include "common/membership.hpp"
#include "common/protocol.hpp"

namespace rpclb {

struct RpcOptions {
  Clock::time_point deadline;
  // How long to wait for the TCP connection before calling the node
  // unreachable. Until connected, nothing was delivered, so the caller may
  // safely try another node.
  std::chrono::milliseconds connect_timeout{1000};
  std::optional<CurveConfig> curve;
};

// Sends `request` to the agent at `endpoint` and waits for its reply.
// Transport failures come back as errors: service_unavailable when the node
// could not be reached, request_timeout when the deadline passed after the
// request was sent. The agent's own error replies come back as a CallReply
// of Kind::error.
Result<protocol::CallReply> exchange(zmq::context_t& context, const std::string& endpoint,
                                     const protocol::CallRequest& request, const RpcOptions& options);

}  // namespace rpclb
