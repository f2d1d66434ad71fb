// A bare ZeroMQ caller for tests that must bypass rpclb's client: strangers
// without keys, callers of a draining agent, senders of hand-made frames.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "common/curve.hpp"
#include "common/protocol.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb::testing {

// Sends one sys.echo call to `endpoint` on a fresh DEALER (speaking CURVE
// when `curve` is set) and returns the reply if one arrives within `wait`.
inline std::optional<protocol::CallReply> raw_echo_call(zmq::context_t& context, const std::string& endpoint,
                                                        const std::optional<CurveConfig>& curve,
                                                        std::chrono::milliseconds wait) {
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  secure_client(socket, curve);
  socket.connect(endpoint);
  const auto request =
      protocol::encode(protocol::CallRequest{7, protocol::CallMode::call, "sys.echo", "", 1000, {}, {}, {}, {}});
  socket.send(zmq::message_t(), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(request), zmq::send_flags::none);
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, wait);
  std::vector<zmq::message_t> parts;
  if (!(item.revents & ZMQ_POLLIN) || !receive_multipart(socket, parts)) return std::nullopt;
  auto reply = protocol::decode_as<protocol::CallReply>(as_view(parts.back()));
  if (!reply) return std::nullopt;
  return std::move(reply).value();
}

}  // namespace rpclb::testing
