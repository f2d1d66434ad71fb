// A ZeroMQ socket monitor: the events of one socket's connections (connected,
// lost, refused, handshake failed...), delivered on a PAIR socket that the
// owner polls beside its own. A socket has at most one.
//
// libzmq's I/O thread sends each event with a blocking send, holding the
// watched socket's monitor lock. So that it can never block on us:
// - the reader takes events without limit (no high-water mark): an owner
//   that reads late costs memory, never the context's I/O thread (with the
//   default limit, about 2,000 unread events stalled every socket of the
//   context, for good);
// - on destruction the monitor is stopped first, while the reader is still
//   there to take what is in flight, and only then is the reader closed.
//   Closed the other way round, an event raised between the two calls blocks
//   the I/O thread in a send to a PAIR with no peer, and the stop waits for
//   the lock that thread holds: a deadlock.
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
  // Throws zmq::error_t if the monitor cannot be started.
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
