// SignalFd: SIGTERM and SIGINT delivered as a readable file descriptor that
// the event loop polls, instead of as asynchronous handlers.
//
// Construct it first in main(), before any thread starts (ZeroMQ's I/O
// threads, workers): threads inherit the blocked mask, so the signals can
// only arrive through this descriptor.
#pragma once

namespace rpclb::agent {

class SignalFd {
 public:
  SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  ~SignalFd();

  int fd() const { return fd_; }
  // The pending signal's number, or 0 if none.
  int take();

 private:
  int fd_ = -1;
};

}  // namespace rpclb::agent
