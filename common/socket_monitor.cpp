#include "common/socket_monitor.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/zmq_helpers.hpp"

namespace rpclb {
namespace {

// Binds the monitor of `watched` to a fresh inproc address. A closed socket's
// monitor address stays taken until libzmq reaps it, and a new socket may
// reuse the old one's handle, so a taken address is passed over.
std::string start_monitor(zmq::socket_t& watched, int events) {
  const auto base = "inproc://rpclb-monitor-" + std::to_string(reinterpret_cast<std::uintptr_t>(watched.handle()));
  for (int attempt = 0;; ++attempt) {
    auto address = base + "-" + std::to_string(attempt);
    if (zmq_socket_monitor(watched.handle(), address.c_str(), events) == 0) return address;
    if (zmq_errno() != EADDRINUSE) throw zmq::error_t();
  }
}

}  // namespace

SocketMonitor::SocketMonitor(zmq::context_t& context, zmq::socket_t& watched, int events)
    : watched_(watched), events_(context, zmq::socket_type::pair) {
  events_.set(zmq::sockopt::linger, 0);
  // Unlimited: the monitor's sends, made by libzmq's I/O thread, never wait
  // for this reader (see the header). Set before connecting, which sizes the pipe.
  events_.set(zmq::sockopt::rcvhwm, 0);
  const auto address = start_monitor(watched_, events);
  try {
    events_.connect(address);
  } catch (...) {
    zmq_socket_monitor(watched_.handle(), nullptr, 0);
    throw;
  }
}

SocketMonitor::~SocketMonitor() {
  // Stop first: the reader still takes whatever the I/O thread is sending.
  zmq_socket_monitor(watched_.handle(), nullptr, 0);
  events_.close();
}

// [event id (2 bytes) + value (4 bytes)], [the endpoint].
std::optional<SocketMonitor::Event> SocketMonitor::next() {
  std::vector<zmq::message_t> parts;
  while (receive_multipart(events_, parts)) {
    if (parts.size() != 2 || parts[0].size() < 2) continue;
    Event event;
    std::memcpy(&event.id, parts[0].data(), sizeof event.id);
    event.endpoint = std::string(as_view(parts[1]));
    return event;
  }
  return std::nullopt;
}

}  // namespace rpclb
