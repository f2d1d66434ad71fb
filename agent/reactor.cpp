#include "agent/reactor.hpp"

#include <memory>

#include "common/zmq_helpers.hpp"

namespace rpclb::agent {

void Reactor::on_readable(zmq::socket_t& socket, Handler handler) {
  items_.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});
  readers_.push_back(std::move(handler));
}

void Reactor::on_readable(int fd, Handler handler) {
  items_.push_back({nullptr, fd, ZMQ_POLLIN, 0});
  readers_.push_back(std::move(handler));
}

void Reactor::every(std::chrono::milliseconds interval, Handler handler) {
  auto next = std::make_shared<Clock::time_point>(Clock::now() + interval);
  // The next tick is set from the time the handler runs, so a tick is never
  // left in the past (which would make every wait return at once).
  when_due([next] { return *next; },
           [next, interval, handler = std::move(handler)] {
             *next = Clock::now() + interval;
             handler();
           });
}

void Reactor::when_due(Due due, Handler handler) {
  timers_.push_back({std::move(due), std::move(handler)});
}

std::optional<Clock::time_point> Reactor::run_due_timers() {
  std::optional<Clock::time_point> earliest;
  for (auto& timer : timers_) {
    auto due = timer.due();
    if (due && *due <= Clock::now()) {
      timer.handler();
      if (stopping_) return std::nullopt;
      due = timer.due();
    }
    if (due && (!earliest || *due < *earliest)) earliest = due;
  }
  return earliest;
}

void Reactor::run() {
  stopping_ = false;
  while (!stopping_) {
    const auto wake_at = run_due_timers();
    if (stopping_) break;
    const auto timeout = wake_at ? remaining(*wake_at) : std::chrono::milliseconds(-1);
    zmq::poll(items_.data(), items_.size(), timeout);
    for (std::size_t i = 0; i < items_.size() && !stopping_; ++i) {
      if (items_[i].revents & ZMQ_POLLIN) readers_[i]();
    }
  }
}

}  // namespace rpclb::agent
