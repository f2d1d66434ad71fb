// Scenarios that, when they fail, hang or kill the process: run in a child
// that the test waits for with a bound, so a failure is a failed test and
// never a stuck suite.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

namespace rpclb::testing {

// Runs `scenario` in a child; its exit status if it ended within `bound`,
// else -1 (the child is then killed).
inline int run_bounded(const std::function<int()>& scenario, std::chrono::seconds bound) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(scenario());
  const auto until = std::chrono::steady_clock::now() + bound;
  int status = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > until) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace rpclb::testing
