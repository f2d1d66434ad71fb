// SignalFd: SIGTERM, SIGINT and SIGHUP delivered as a readable file descriptor that
// the event loop polls, instead of as asynchronous handlers.
//
// Construct it first in main(), before any thread starts (ZeroMQ's I/O
// threads, workers): threads inherit the blocked mask, so the signals can
// only arrive through this descriptor.
#pragma once

#include <optional>
#include <thread>

#include "common/event_fd.hpp"
#include "common/fd.hpp"
#include "common/stop_source.hpp"

namespace rpclb {

class SignalFd final : public StopSource {
 public:
  SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  ~SignalFd() override;

  int fd() const override { return signals_.get(); }
  // "SIGTERM", "SIGINT" or "SIGHUP" (kReloadSignal), or "" if none is pending.
  std::string take() override;
  // From now on a signal ends the process at once (_exit), whatever it is
  // doing: a second SIGTERM always stops an agent, even one whose teardown
  // is stuck.
  void tearing_down() override;

 private:
  Fd signals_;
  std::optional<EventFd> quit_;  // ~SignalFd ends the last-signal watcher with it
  std::thread last_signal_;
};

}  // namespace rpclb
