#include "common/signals.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace rpclb {

SignalFd::SignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  // A caller that hangs up mid-reply must not kill the agent.
  ::signal(SIGPIPE, SIG_IGN);
  signals_ = Fd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (signals_.get() < 0) throw std::runtime_error("signalfd failed");
}

SignalFd::~SignalFd() {
  if (last_signal_.joinable()) {
    quit_->signal();
    last_signal_.join();
  }
}

void SignalFd::tearing_down() {
  if (last_signal_.joinable()) return;
  quit_.emplace();
  last_signal_ = std::thread([signals = signals_.get(), quit = quit_->fd()] {
    int signo = 0;
    while (signo == 0 || signo == SIGHUP) {  // a reload has nothing left to reload
      pollfd watched[2] = {{signals, POLLIN, 0}, {quit, POLLIN, 0}};
      if (::poll(watched, 2, -1) < 0) continue;  // EINTR
      if (watched[1].revents & POLLIN) return;
      signalfd_siginfo info{};
      if (::read(signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
        signo = static_cast<int>(info.ssi_signo);
    }
    std::fprintf(stderr, "rpclb: %s during shutdown: exiting at once\n", signo == SIGINT ? "SIGINT" : "SIGTERM");
    ::_exit(128 + signo);
  });
}

std::string SignalFd::take() {
  signalfd_siginfo info{};
  if (::read(signals_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return "";
  if (info.ssi_signo == SIGHUP) return std::string(kReloadSignal);
  return info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT";
}

}  // namespace rpclb
