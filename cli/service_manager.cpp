#include "cli/service_manager.hpp"

#include <systemd/sd-daemon.h>

namespace rpclb::cli {

rpclb::AgentLifecycle systemd_lifecycle() {
  rpclb::AgentLifecycle lifecycle;
  // sd_notify's failures (no manager listening) change nothing for the agent.
  lifecycle.serving = [](const std::string& endpoint) {
    sd_notifyf(0, "READY=1\nSTATUS=serving at %s", endpoint.c_str());
  };
  lifecycle.draining = [] { sd_notify(0, "STOPPING=1\nSTATUS=left the bus, finishing the calls in flight"); };
  return lifecycle;
}

}  // namespace rpclb::cli
