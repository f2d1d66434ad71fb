#include "agent/reactor.hpp"

#include <poll.h>

#include <cerrno>
#include <memory>
#include <system_error>

#include "common/zmq_helpers.hpp"

namespace rpclb::agent {

void Reactor::on_readable(zmq::socket_t& socket, Handler handler, Reach reach) {
  const int fd = socket.get(zmq::sockopt::fd);
  readers_.push_back({socket.handle(), fd, std::move(handler), reach});
}

void Reactor::on_readable(int fd, Handler handler, Reach reach) {
  readers_.push_back({nullptr, fd, std::move(handler), reach});
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

void Reactor::when_due(Due due, Handler handler, Reach reach) {
  timers_.push_back({std::move(due), std::move(handler), reach});
}

void Reactor::used(const Reach& reach) {
  for (auto& reader : readers_) {
    if (reader.socket && (!reach.only_ || reach.only_ == reader.socket)) reader.ask = true;
  }
}

bool Reactor::has_input(void* socket) {
  int events = 0;
  std::size_t size = sizeof events;
  if (zmq_getsockopt(socket, ZMQ_EVENTS, &events, &size) != 0) throw zmq::error_t();
  return (events & ZMQ_POLLIN) != 0;
}

std::optional<Clock::time_point> Reactor::run_due_timers() {
  std::optional<Clock::time_point> earliest;
  for (auto& timer : timers_) {
    auto due = timer.due();
    if (due && *due <= Clock::now()) {
      timer.handler();
      used(timer.reach);
      if (stopping_) return std::nullopt;
      due = timer.due();
    }
    if (due && (!earliest || *due < *earliest)) earliest = due;
  }
  return earliest;
}

void Reactor::run() {
  stopping_ = false;
  polled_.clear();
  for (const auto& reader : readers_) polled_.push_back({nullptr, reader.fd, ZMQ_POLLIN, 0});
  while (!stopping_) {
    const auto wake_at = run_due_timers();
    if (stopping_) break;
    // Sockets a handler may have used are asked; the others' descriptors
    // show when their events change.
    bool any_ready = false;
    for (auto& reader : readers_) {
      reader.ready = false;
      if (reader.socket && reader.ask) {
        reader.ask = false;
        reader.ready = has_input(reader.socket);
        any_ready = any_ready || reader.ready;
      }
    }
    const auto timeout = any_ready ? std::chrono::milliseconds(0)
                         : wake_at ? remaining(*wake_at)
                                   : std::chrono::milliseconds(-1);
    if (zmq_poll(polled_.data(), static_cast<int>(polled_.size()), static_cast<long>(timeout.count())) < 0 &&
        zmq_errno() != EINTR) {
      throw zmq::error_t();
    }
    for (std::size_t i = 0; i < readers_.size(); ++i) {
      auto& reader = readers_[i];
      if (!(polled_[i].revents & ZMQ_POLLIN) || reader.ready) continue;
      // A socket's descriptor says only that its events may have changed.
      reader.ready = !reader.socket || has_input(reader.socket);
    }
    for (std::size_t i = 0; i < readers_.size() && !stopping_; ++i) {
      auto& reader = readers_[i];
      if (!reader.ready) continue;
      reader.handler();
      // Its reader may have left input for its next turn.
      if (reader.socket) reader.ask = true;
      used(reader.reach);
    }
  }
}

}  // namespace rpclb::agent
