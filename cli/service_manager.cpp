#include "cli/service_manager.hpp"

#include <systemd/sd-daemon.h>

#include <chrono>
#include <cstdint>

namespace rpclb::cli {

rpclb::AgentLifecycle systemd_lifecycle() {
  rpclb::AgentLifecycle lifecycle;
  // sd_notify's failures (no manager listening) change nothing for the agent.
  lifecycle.serving = [](const std::string& endpoint) {
    sd_notifyf(0, "READY=1\nSTATUS=serving at %s", endpoint.c_str());
  };
  lifecycle.draining = [] { sd_notify(0, "STOPPING=1\nSTATUS=left the bus, finishing the calls in flight"); };
  // With WatchdogSec=, the loop itself says it still turns, twice per period.
  std::uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec >= 2000) {
    lifecycle.alive_interval = std::chrono::milliseconds(watchdog_usec / 2000);
    lifecycle.alive = [] { sd_notify(0, "WATCHDOG=1"); };
  }
  return lifecycle;
}

}  // namespace rpclb::cli
