#include "common/socket_monitor.hpp"

#include <cstring>
#include <vector>

#include "common/zmq_helpers.hpp"

namespace rpclb {

SocketMonitor::SocketMonitor(zmq::context_t& context, zmq::socket_t& watched, int events)
    : watched_(watched), events_(context, zmq::socket_type::pair) {
  const auto address = "inproc://rpclb-monitor-" + std::to_string(reinterpret_cast<std::uintptr_t>(watched.handle()));
  zmq_socket_monitor(watched_.handle(), address.c_str(), events);
  events_.set(zmq::sockopt::linger, 0);
  events_.connect(address);
}

SocketMonitor::~SocketMonitor() {
  events_.close();
  zmq_socket_monitor(watched_.handle(), nullptr, 0);
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
