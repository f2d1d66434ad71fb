#include "agent/reactor.hpp"

#include <memory>

#include "common/zmq_helpers.hpp"

namespace rpclb::agent {

void Reactor::on_readable(zmq::socket_t& socket, Handler handler, Reach reach) {
  readers_.push_back({PollSet::Socket(socket), -1, std::move(handler), reach});
}

void Reactor::on_readable(int fd, Handler handler, Reach reach) {
  readers_.push_back({std::nullopt, fd, std::move(handler), reach});
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
    if (reader.socket && (!reach.only_ || reach.only_ == reader.socket->socket->handle())) reader.ask = true;
  }
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
  while (!stopping_) {
    const auto wake_at = run_due_timers();
    if (stopping_) break;
    // Sockets a handler may have used are asked; the others' descriptors
    // show when their events change (common/poll_set.hpp).
    poll_.clear();
    for (auto& reader : readers_) {
      if (reader.socket) {
        reader.item =
            poll_.add(*reader.socket, ZMQ_POLLIN, reader.ask ? PollSet::Since::maybe_used : PollSet::Since::untouched);
        reader.ask = false;
      } else {
        reader.item = poll_.add(reader.fd);
      }
    }
    poll_.wait(wake_at ? remaining(*wake_at) : std::chrono::milliseconds(-1));
    for (auto& reader : readers_) {
      if (stopping_) break;
      if (!poll_.readable(reader.item)) continue;
      reader.handler();
      // Its reader may have left input for its next turn.
      if (reader.socket) reader.ask = true;
      used(reader.reach);
    }
  }
}

}  // namespace rpclb::agent
