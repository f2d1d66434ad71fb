#include "common/poll_set.hpp"

#include <cerrno>

namespace rpclb {

PollSet::Item PollSet::add(zmq::socket_t& socket, short events) {
  items_.push_back({socket.handle(), 0, events, 0});
  return items_.size() - 1;
}

PollSet::Item PollSet::add(int fd, short events) {
  items_.push_back({nullptr, fd, events, 0});
  return items_.size() - 1;
}

void PollSet::wait(std::chrono::milliseconds limit) {
  try {
    zmq::poll(items_.data(), items_.size(), limit);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
    for (auto& item : items_) item.revents = 0;
  }
}

}  // namespace rpclb
