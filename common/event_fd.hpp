// EventFd: a counter in the kernel, as a file descriptor one thread polls
// and any thread signals (Linux's eventfd). The one wake-up behind a stop
// request, the asynchronous client's submissions and the signal watcher's
// quit.
#pragma once

#include <cstdint>

#include "common/fd.hpp"

namespace rpclb {

class EventFd {
 public:
  // Non-blocking and closed on exec; throws std::system_error if the kernel
  // has none to give.
  EventFd();

  int fd() const { return fd_.get(); }
  // Adds one; safe from any thread. It fails only when the counter is full,
  // and the poller wakes then anyway.
  void signal() const;
  // How many signals arrived since the last take (0: none), and resets the count.
  std::uint64_t take() const;

 private:
  Fd fd_;
};

}  // namespace rpclb
