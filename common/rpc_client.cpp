#include "common/rpc_client.hpp"

#include "common/endpoint.hpp"
#include "common/route.hpp"
#include "common/socket_monitor.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb {
namespace {

// Watches one socket's connection attempts through a ZeroMQ socket monitor,
// so a refused connection or a refused handshake is known at once instead of
// after the connect timeout.
class ConnectionWatch {
 public:
  // What the socket's connection attempts and connection did since the last read().
  struct Seen {
    bool refused = false;       // an attempt failed (nothing listens, or no route)
    bool rejected = false;      // the handshake failed (CURVE, or not ZMTP)
    bool disconnected = false;  // an established connection was lost
  };

  ConnectionWatch(zmq::context_t& context, zmq::socket_t& watched)
      : monitor_(context, watched,
                 ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {}

  zmq::socket_t& events() { return monitor_.events(); }

  Seen read() {
    Seen seen;
    while (auto event = monitor_.next()) {
      if (event->id == ZMQ_EVENT_CONNECT_RETRIED) {
        seen.refused = true;
      } else if (event->id == ZMQ_EVENT_DISCONNECTED) {
        seen.disconnected = true;
      } else {
        seen.rejected = true;
      }
    }
    return seen;
  }

 private:
  SocketMonitor monitor_;
};

// ZeroMQ reports every failed connection attempt alike; the routing table
// tells a host this one has no route to from one that refused.
Error refused_or_unreachable(const std::string& endpoint) {
  if (auto tcp = tcp_endpoint(endpoint); tcp) {
    if (auto route = route_source(tcp->host); !route) {
      return {ErrorCode::service_unavailable, "node unreachable at " + endpoint + ": " + route.error().message};
    }
  }
  return {ErrorCode::service_unavailable, "connection refused by " + endpoint};
}

}  // namespace

// The socket, and the monitor that tells how its connection attempts went.
class RpcChannel::Connection {
 public:
  Connection(zmq::context_t& context, const std::optional<CurveConfig>& curve)
      : socket(make_socket(context, zmq::socket_type::dealer)) {
    // With IMMEDIATE, the socket only becomes writable once a connection is
    // up, which tells "unreachable" apart from "slow", and a send never
    // queues for a peer that is gone.
    socket.set(zmq::sockopt::immediate, 1);
    secure_client(socket, curve);
    watch = std::make_unique<ConnectionWatch>(context, socket);
  }
  ~Connection() { watch.reset(); }  // the monitor goes before its socket
  zmq::socket_t socket;
  std::unique_ptr<ConnectionWatch> watch;
  bool ready = false;
};

RpcChannel::RpcChannel(zmq::context_t& context, std::string endpoint, std::optional<CurveConfig> curve)
    : context_(&context), endpoint_(std::move(endpoint)), curve_(std::move(curve)) {}
RpcChannel::RpcChannel(RpcChannel&&) noexcept = default;
RpcChannel& RpcChannel::operator=(RpcChannel&&) noexcept = default;
RpcChannel::~RpcChannel() = default;

Status RpcChannel::connect(const RpcOptions& options) {
  if (!connection_) {
    connection_ = std::make_unique<Connection>(*context_, curve_);
    try {
      connection_->socket.connect(endpoint_);
    } catch (const zmq::error_t& e) {
      connection_.reset();
      // The member announced an endpoint this host cannot use: nothing was
      // sent, so another member may be tried.
      return make_error(ErrorCode::service_unavailable, "unusable endpoint '" + endpoint_ + "': " + e.what());
    }
  }
  auto& socket = connection_->socket;
  zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLOUT, 0},
                             {connection_->watch->events().handle(), 0, ZMQ_POLLIN, 0}};
  const auto connect_deadline = std::min(options.deadline, Clock::now() + options.connect_timeout);
  while (true) {
    const auto now = Clock::now();
    if (now >= connect_deadline) {
      // Nothing was sent: another member may take the request. The next call
      // starts afresh rather than wait on this attempt's lost SYN.
      connection_.reset();
      return make_error(ErrorCode::service_unavailable, "timed out connecting to " + endpoint_ + " (nothing was sent)");
    }
    zmq::poll(items, 2, remaining(connect_deadline, now));
    if (items[0].revents & ZMQ_POLLOUT) {
      connection_->ready = true;
      return {};
    }
    if (items[1].revents & ZMQ_POLLIN) {
      const auto seen = connection_->watch->read();
      if (seen.rejected) {
        return make_error(ErrorCode::service_unavailable,
                          "handshake with " + endpoint_ + " failed (not authorised, or a security mismatch)");
      }
      if (seen.refused) return refused_or_unreachable(endpoint_);
    }
  }
}

Result<protocol::CallReply> RpcChannel::call(const protocol::CallRequest& request, const RpcOptions& options) {
  buffer_ = protocol::encode(request);
  if (buffer_.size() > protocol::kMaxFrameBytes) {
    return make_error(ErrorCode::bad_request, "the request is " + std::to_string(buffer_.size()) +
                                                  " bytes, over the frame limit of " +
                                                  std::to_string(protocol::kMaxFrameBytes) + " bytes");
  }
  if (connection_) connection_->watch->read();  // what happened before this call is not its news
  bool sent = false;
  for (int attempt = 0; attempt < 2 && !sent; ++attempt) {
    if (!connection_ || !connection_->ready) {
      if (auto connected = connect(options); !connected) return connected.error();
    }
    // Fails only when no connection is up (IMMEDIATE): the agent went away
    // since the last call, so wait for it once more as a fresh connection.
    sent = connection_->socket.send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait) &&
           connection_->socket.send(zmq::buffer(buffer_), zmq::send_flags::dontwait);
    if (!sent) connection_->ready = false;
  }
  if (!sent) return make_error(ErrorCode::service_unavailable, "node unreachable at " + endpoint_);

  zmq::pollitem_t items[] = {{connection_->socket.handle(), 0, ZMQ_POLLIN, 0},
                             {connection_->watch->events().handle(), 0, ZMQ_POLLIN, 0}};
  std::vector<zmq::message_t> parts;
  while (true) {
    const auto now = Clock::now();
    if (now >= options.deadline) {
      return make_error(ErrorCode::request_timeout, "no reply from " + endpoint_ + " before the deadline");
    }
    zmq::poll(items, 2, remaining(options.deadline, now));
    const bool lost = (items[1].revents & ZMQ_POLLIN) && connection_->watch->read().disconnected;
    // Replies to earlier, abandoned requests may still arrive: only ours counts.
    while (receive_multipart(connection_->socket, parts)) {
      if (parts.size() != 2 || parts[0].size() != 0) continue;
      auto reply = protocol::decode_as<protocol::CallReply>(as_view(parts[1]));
      if (!reply) {
        return make_error(ErrorCode::internal, "agent at " + endpoint_ + " sent a bad reply: " + reply.error().message);
      }
      if (reply->id == request.id) return std::move(reply).value();
    }
    // The agent answers on the connection the request came in on: once that
    // is gone (and what it delivered is read), no reply can come, so the
    // caller hears now instead of at its deadline.
    if (lost) {
      connection_->ready = false;
      return make_error(ErrorCode::request_timeout,
                        "the connection to " + endpoint_ + " was lost before the reply; the call may have run");
    }
  }
}

Result<protocol::CallReply> exchange(zmq::context_t& context, const std::string& endpoint,
                                     const protocol::CallRequest& request, const RpcOptions& options) {
  RpcChannel channel(context, endpoint, options.curve);
  return channel.call(request, options);
}

}  // namespace rpclb
