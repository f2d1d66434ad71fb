#include "common/poll_set.hpp"

#include <cerrno>

namespace rpclb {
namespace {

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
    polled_.push_back({nullptr, item.fd, item.socket ? short{ZMQ_POLLIN} : item.events, 0});
  }
  if (zmq_poll(polled_.data(), static_cast<int>(polled_.size()), ready ? 0L : static_cast<long>(limit.count())) < 0) {
    if (zmq_errno() != EINTR) throw zmq::error_t();
    for (auto& item : items_) item.revents = 0;
    return;
  }
  for (std::size_t i = 0; i < items_.size(); ++i) {
    auto& item = items_[i];
    if (!item.socket) {
      item.revents = polled_[i].revents;
    } else if (polled_[i].revents != 0 && item.revents == 0) {
      item.revents = events_of(item.socket) & item.events;
    }
  }
}

}  // namespace rpclb
