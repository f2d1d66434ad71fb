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
#include "common/poll_set.hpp"
#include "common/turn.hpp"

namespace rpclb::agent {

class Reactor {
 public:
  using Handler = std::function<void()>;
  // When a timer is next due; nullopt: not now.
  using Due = std::function<std::optional<Clock::time_point>()>;

  // Which of the reactor's sockets a handler may send or receive on.
  //
  // The reactor asks a ZeroMQ socket for its events before it waits only
  // when a handler may have used it (common/poll_set.hpp says why). By
  // default a handler may use any socket, and every socket is asked again
  // after it runs; the handlers that run for every call say they keep to
  // one socket, so a flood of calls asks one socket a turn, not all.
  class Reach {
   public:
    static Reach any() { return Reach(nullptr); }
    static Reach only(zmq::socket_t& socket) { return Reach(socket.handle()); }

   private:
    friend class Reactor;
    explicit Reach(void* only) : only_(only) {}
    void* only_;  // nullptr: any
  };

  Reactor() = default;
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // `handler` runs whenever `socket` (or `fd`) has input. The socket must
  // outlive run(). A socket's reader may use its own socket besides `reach`.
  void on_readable(zmq::socket_t& socket, Handler handler, Reach reach = Reach::any());
  void on_readable(int fd, Handler handler, Reach reach = Reach::any());
  // `handler` runs every `interval`, the first time one interval from now.
  void every(std::chrono::milliseconds interval, Handler handler);
  // `handler` runs once `due()` has passed; `due` is asked again before every
  // wait, so it can move (a hub's next expiry, a drain deadline).
  void when_due(Due due, Handler handler, Reach reach = Reach::any());

  // Polls and dispatches until a handler calls stop().
  void run();
  // run() returns once the handler that called this does.
  void stop() { stopping_ = true; }

 private:
  struct Reader {
    std::optional<PollSet::Socket> socket;  // none: a plain descriptor
    int fd;
    Handler handler;
    Reach reach;
    bool ask = true;         // a socket that may have input its descriptor will not show
    PollSet::Item item = 0;  // in this turn's wait
  };
  struct Timer {
    Due due;
    Handler handler;
    Reach reach;
  };
  // Runs the timers whose time has come; the earliest still to come, if any.
  std::optional<Clock::time_point> run_due_timers();
  // After a handler ran: the sockets it may have used are asked again.
  void used(const Reach& reach);

  std::vector<Reader> readers_;
  PollSet poll_;
  std::vector<Timer> timers_;
  bool stopping_ = false;
};

}  // namespace rpclb::agent
