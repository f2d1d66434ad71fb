#include "common/rpc_client.hpp"

#include "common/zmq_helpers.hpp"

#include <cstring>

namespace rpclb {
namespace {

// Watches one socket's connection attempts through a ZeroMQ socket monitor,
// so a refused connection or a refused handshake is known at once instead of
// after the connect timeout.
class ConnectionWatch {
 public:
  enum class Verdict { pending, refused, rejected };

  ConnectionWatch(zmq::context_t& context, zmq::socket_t& watched)
      : watched_(watched),
        address_("inproc://rpclb-monitor-" + std::to_string(reinterpret_cast<std::uintptr_t>(watched.handle()))) {
    zmq_socket_monitor(watched_.handle(), address_.c_str(),
                       ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    events_ = zmq::socket_t(context, zmq::socket_type::pair);
    events_.set(zmq::sockopt::linger, 0);
    events_.connect(address_);
  }
  ConnectionWatch(const ConnectionWatch&) = delete;
  ConnectionWatch& operator=(const ConnectionWatch&) = delete;
  ~ConnectionWatch() {
    events_.close();
    zmq_socket_monitor(watched_.handle(), nullptr, 0);
  }

  zmq::socket_t& events() { return events_; }

  // Reads pending events; the worst one seen decides.
  Verdict read() {
    Verdict verdict = Verdict::pending;
    std::vector<zmq::message_t> parts;
    while (receive_multipart(events_, parts)) {
      if (parts.empty() || parts[0].size() < 2) continue;
      std::uint16_t event = 0;
      std::memcpy(&event, parts[0].data(), sizeof event);
      if (event == ZMQ_EVENT_CONNECT_RETRIED && verdict == Verdict::pending) verdict = Verdict::refused;
      if (event != ZMQ_EVENT_CONNECT_RETRIED) verdict = Verdict::rejected;
    }
    return verdict;
  }

 private:
  zmq::socket_t& watched_;
  std::string address_;
  zmq::socket_t events_;
};

}  // namespace

Result<protocol::CallReply> exchange(zmq::context_t& context, const std::string& endpoint,
                                     const protocol::CallRequest& request, const RpcOptions& options) {
  auto socket = make_socket(context, zmq::socket_type::dealer);
  // With IMMEDIATE, the socket only becomes writable once a connection is up,
  // which tells "unreachable" apart from "slow".
  socket.set(zmq::sockopt::immediate, 1);
  secure_client(socket, options.curve);
  ConnectionWatch watch(context, socket);
  try {
    socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::bad_request, "invalid endpoint '" + endpoint + "': " + e.what());
  }

  zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLOUT, 0}, {watch.events().handle(), 0, ZMQ_POLLIN, 0}};
  const auto connect_deadline = std::min(options.deadline, Clock::now() + options.connect_timeout);
  while (true) {
    const auto now = Clock::now();
    if (now >= connect_deadline) {
      if (connect_deadline == options.deadline) {
        return make_error(ErrorCode::request_timeout, "timed out connecting to " + endpoint);
      }
      return make_error(ErrorCode::service_unavailable, "node unreachable at " + endpoint);
    }
    zmq::poll(items, 2, remaining(connect_deadline, now));
    if (items[0].revents & ZMQ_POLLOUT) break;
    if (items[1].revents & ZMQ_POLLIN) {
      const auto verdict = watch.read();
      if (verdict == ConnectionWatch::Verdict::refused) {
        return make_error(ErrorCode::service_unavailable, "connection refused by " + endpoint);
      }
      if (verdict == ConnectionWatch::Verdict::rejected) {
        return make_error(ErrorCode::service_unavailable,
                          "handshake with " + endpoint + " failed (not authorised, or a security mismatch)");
      }
    }
  }
  zmq::pollitem_t item = items[0];

  const std::string body = protocol::encode(request);
  socket.send(zmq::message_t(), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(body), zmq::send_flags::none);

  item.events = ZMQ_POLLIN;
  std::vector<zmq::message_t> parts;
  while (true) {
    const auto now = Clock::now();
    if (now >= options.deadline) {
      return make_error(ErrorCode::request_timeout, "no reply from " + endpoint + " before the deadline");
    }
    zmq::poll(&item, 1, remaining(options.deadline, now));
    if (!(item.revents & ZMQ_POLLIN) || !receive_multipart(socket, parts)) continue;
    if (parts.size() != 2 || parts[0].size() != 0) continue;  // not a reply to us; keep waiting
    auto reply = protocol::decode_as<protocol::CallReply>(as_view(parts[1]));
    if (!reply)
      return make_error(ErrorCode::internal, "agent at " + endpoint + " sent a bad reply: " + reply.error().message);
    if (reply->id != request.id) continue;
    return std::move(reply).value();
  }
}

}  // namespace rpclb
