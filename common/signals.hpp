// SignalFd: SIGTERM and SIGINT delivered as a readable file descriptor that
// the event loop polls, instead of as asynchronous handlers.
//
// Construct it first in main(), before any thread starts (ZeroMQ's I/O
// threads, workers): threads inherit the blocked mask, so the signals can
// only arrive through this descriptor.
#pragma once

#include "common/stop_source.hpp"

namespace rpclb {

class SignalFd final : public StopSource {
 public:
  SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  ~SignalFd() override;

  int fd() const override { return fd_; }
  // "SIGTERM" or "SIGINT", or "" if none is pending.
  std::string take() override;

 private:
  int fd_ = -1;
};

}  // namespace rpclb
