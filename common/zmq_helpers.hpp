// Small ZeroMQ conveniences shared by the agent and the client side.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/membership.hpp"

namespace rpclb {

// Every rpclb socket refuses frames larger than the protocol allows, and by
// default drops unsent messages on close so a process never hangs on exit.
zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type, int linger_ms = 0);

inline std::string_view as_view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

// Binds, turning ZeroMQ's terse error into one that names the endpoint and
// its purpose ("cannot bind bus snapshot socket at tcp://...: Address already in use").
void bind_or_throw(zmq::socket_t& socket, const std::string& endpoint, std::string_view purpose);

// Milliseconds until `deadline`, clamped at zero, for zmq::poll.
std::chrono::milliseconds remaining(Clock::time_point deadline, Clock::time_point now = Clock::now());

// Receives every part of one message (non-blocking: call after poll says ready).
bool receive_multipart(zmq::socket_t& socket, std::vector<zmq::message_t>& parts);

}  // namespace rpclb
