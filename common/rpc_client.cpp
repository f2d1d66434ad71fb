#include "common/rpc_client.hpp"

#include "common/zmq_helpers.hpp"

namespace rpclb {

Result<protocol::CallReply> exchange(zmq::context_t& context, const std::string& endpoint,
                                     const protocol::CallRequest& request, const RpcOptions& options) {
  auto socket = make_socket(context, zmq::socket_type::dealer);
  // With IMMEDIATE, the socket only becomes writable once a connection is up,
  // which tells "unreachable" apart from "slow".
  socket.set(zmq::sockopt::immediate, 1);
  try {
    socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::bad_request, "invalid endpoint '" + endpoint + "': " + e.what());
  }

  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLOUT, 0};
  const auto connect_deadline = std::min(options.deadline, Clock::now() + options.connect_timeout);
  while (true) {
    const auto now = Clock::now();
    if (now >= connect_deadline) {
      if (connect_deadline == options.deadline) {
        return make_error(ErrorCode::request_timeout, "timed out connecting to " + endpoint);
      }
      return make_error(ErrorCode::service_unavailable, "node unreachable at " + endpoint);
    }
    zmq::poll(&item, 1, remaining(connect_deadline, now));
    if (item.revents & ZMQ_POLLOUT) break;
  }

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
