// One request/reply exchange with one agent, bounded by a deadline.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/curve.hpp"
#include "common/protocol.hpp"
#include "rpclb/client_defaults.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

struct RpcOptions {
  Clock::time_point deadline;
  // How long to wait for the TCP connection (bounded by the deadline) before
  // calling the node unreachable. Until connected, nothing was delivered, so
  // the caller may safely try another node.
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;
  std::optional<CurveConfig> curve;
};

// One-shot: sends `request` to the agent at `endpoint` and waits for its reply
// (an RpcPipeline of one request; common/rpc_pipeline.hpp).
// Transport failures come back as errors: service_unavailable when the node
// could not be reached, request_timeout when the deadline passed after the
// request was sent. The agent's own error replies come back as a CallReply
// of Kind::error.
Result<protocol::CallReply> exchange(zmq::context_t& context, const std::string& endpoint,
                                     const protocol::CallRequest& request, const RpcOptions& options);

}  // namespace rpclb
