#include "common/signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace rpclb {

SignalFd::SignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  // A caller that hangs up mid-reply must not kill the agent.
  ::signal(SIGPIPE, SIG_IGN);
  fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("signalfd failed");
}

SignalFd::~SignalFd() {
  if (fd_ >= 0) ::close(fd_);
}

std::string SignalFd::take() {
  signalfd_siginfo info{};
  if (::read(fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return "";
  return info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT";
}

}  // namespace rpclb
