// One request/reply exchange with one agent, bounded by a deadline.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/curve.hpp"
#include "common/membership.hpp"
#include "common/protocol.hpp"
#include "rpclb/client.hpp"
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

// A connection to one agent, reused across calls: long-lived clients keep one
// per member, so a call costs one round trip and no connection set-up.
// Not thread-safe (a ZeroMQ socket is not); use one per thread.
class RpcChannel {
 public:
  RpcChannel(zmq::context_t& context, std::string endpoint, std::optional<CurveConfig> curve = std::nullopt);
  RpcChannel(RpcChannel&&) noexcept;
  RpcChannel& operator=(RpcChannel&&) noexcept;
  ~RpcChannel();

  // Same contract as exchange() below. Waits for the connection first when
  // there is none (the first call, or after the agent went away).
  Result<protocol::CallReply> call(const protocol::CallRequest& request, const RpcOptions& options);

 private:
  class Connection;
  Status connect(const RpcOptions& options);

  zmq::context_t* context_;
  std::string endpoint_;
  std::optional<CurveConfig> curve_;
  std::unique_ptr<Connection> connection_;
  std::string buffer_;  // reused encoding buffer
};

// One-shot: sends `request` to the agent at `endpoint` and waits for its reply.
// Transport failures come back as errors: service_unavailable when the node
// could not be reached, request_timeout when the deadline passed after the
// request was sent. The agent's own error replies come back as a CallReply
// of Kind::error.
Result<protocol::CallReply> exchange(zmq::context_t& context, const std::string& endpoint,
                                     const protocol::CallRequest& request, const RpcOptions& options);

}  // namespace rpclb
