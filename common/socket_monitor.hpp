// A ZeroMQ socket monitor: the events of one socket's connections (connected,
// lost, refused, handshake failed...), delivered on a PAIR socket that the
// owner polls beside its own. A socket has at most one.
#pragma once

#include <zmq.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace rpclb {

class SocketMonitor {
 public:
  struct Event {
    std::uint16_t id = 0;  // ZMQ_EVENT_*
    std::string endpoint;  // the address the event concerns, as connected to
  };

  // `events`: a mask of ZMQ_EVENT_* values. `watched` must outlive this.
  SocketMonitor(zmq::context_t& context, zmq::socket_t& watched, int events);
  SocketMonitor(const SocketMonitor&) = delete;
  SocketMonitor& operator=(const SocketMonitor&) = delete;
  ~SocketMonitor();

  zmq::socket_t& events() { return events_; }
  // The next event waiting, if any (non-blocking).
  std::optional<Event> next();

 private:
  zmq::socket_t& watched_;
  zmq::socket_t events_;
};

}  // namespace rpclb
