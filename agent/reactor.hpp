// Reactor: the agent's event loop, in the style of CZMQ's zloop (the ZeroMQ
// guide's Clone server, clonesrv5.c). Each component registers handlers for
// its own sockets, descriptors and timers; run() polls them all and calls the
// handlers on the calling thread, one at a time, until one of them calls
// stop(). Nobody else sees a component's sockets or keeps poll indices.
// Readers take their input a Turn at a time, and due timers run between
// turns: no socket's traffic can hold back a heartbeat.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "common/clock.hpp"
#include "common/turn.hpp"

namespace rpclb::agent {

class Reactor {
 public:
  using Handler = std::function<void()>;
  // When a timer is next due; nullopt: not now.
  using Due = std::function<std::optional<Clock::time_point>()>;

  Reactor() = default;
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // `handler` runs whenever `socket` (or `fd`) has input. The socket must
  // outlive run().
  void on_readable(zmq::socket_t& socket, Handler handler);
  void on_readable(int fd, Handler handler);
  // `handler` runs every `interval`, the first time one interval from now.
  void every(std::chrono::milliseconds interval, Handler handler);
  // `handler` runs once `due()` has passed; `due` is asked again before every
  // wait, so it can move (a hub's next expiry, a drain deadline).
  void when_due(Due due, Handler handler);

  // Polls and dispatches until a handler calls stop().
  void run();
  // run() returns once the handler that called this does.
  void stop() { stopping_ = true; }

 private:
  struct Timer {
    Due due;
    Handler handler;
  };
  // Runs the timers whose time has come; the earliest still to come, if any.
  std::optional<Clock::time_point> run_due_timers();

  std::vector<zmq::pollitem_t> items_;
  std::vector<Handler> readers_;  // readers_[i] serves items_[i]
  std::vector<Timer> timers_;
  bool stopping_ = false;
};

}  // namespace rpclb::agent
