#include "common/poll_set.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <system_error>

namespace rpclb {
namespace {

// ZeroMQ's event bits as poll(2)'s and back, as zmq_poll maps them for a
// plain descriptor.
short poll_events(short zmq_events) {
  return static_cast<short>(((zmq_events & ZMQ_POLLIN) ? POLLIN : 0) | ((zmq_events & ZMQ_POLLOUT) ? POLLOUT : 0) |
                            ((zmq_events & ZMQ_POLLPRI) ? POLLPRI : 0));
}
short zmq_revents(short poll_revents) {
  short out = 0;
  if (poll_revents & POLLIN) out |= ZMQ_POLLIN;
  if (poll_revents & POLLOUT) out |= ZMQ_POLLOUT;
  if (poll_revents & POLLPRI) out |= ZMQ_POLLPRI;
  if (poll_revents & ~(POLLIN | POLLOUT | POLLPRI)) out |= ZMQ_POLLERR;
  return out;
}

// ZMQ_EVENTS: what the socket can do now, and its descriptor reset.
short events_of(void* socket) {
  int events = 0;
  std::size_t size = sizeof events;
  if (zmq_getsockopt(socket, ZMQ_EVENTS, &events, &size) != 0) throw zmq::error_t();
  return static_cast<short>(events);
}

}  // namespace

PollSet::Item PollSet::add(const Socket& socket, short events, Since since) {
  items_.push_back({socket.socket->handle(), socket.fd, events, since == Since::maybe_used});
  return items_.size() - 1;
}

PollSet::Item PollSet::add(int fd, short events) {
  items_.push_back({nullptr, fd, events, false});
  return items_.size() - 1;
}

void PollSet::wait(std::chrono::milliseconds limit) {
  bool ready = false;
  polled_.clear();
  for (auto& item : items_) {
    item.revents = item.ask ? events_of(item.socket) & item.events : 0;
    ready = ready || item.revents != 0;
    // A socket's descriptor is readable whenever its events may have changed.
    polled_.push_back({item.fd, item.socket ? short{POLLIN} : poll_events(item.events), 0});
  }
  // poll(2) itself, since every item is a descriptor: zmq_poll polls once
  // without waiting before it waits, a system call more per wake-up.
  const int timeout = ready               ? 0
                      : limit.count() < 0 ? -1
                                          : static_cast<int>(std::min<std::int64_t>(limit.count(), INT_MAX));
  if (::poll(polled_.data(), polled_.size(), timeout) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    for (auto& item : items_) item.revents = 0;
    return;
  }
  for (std::size_t i = 0; i < items_.size(); ++i) {
    auto& item = items_[i];
    if (!item.socket) {
      item.revents = zmq_revents(polled_[i].revents);
    } else if (polled_[i].revents != 0 && item.revents == 0) {
      item.revents = events_of(item.socket) & item.events;
    }
  }
}

}  // namespace rpclb
