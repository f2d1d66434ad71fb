// An in-process rpclb::Agent (librpclb) for tests, announcing to a test
// Cluster's first hub as the cluster's own agents do.
#pragma once

#include <string>

#include "rpclb/agent.hpp"
#include "tests/integration/harness.hpp"

namespace rpclb::testing {

inline AgentOptions embedded_agent_options(Cluster& cluster, const std::string& name, const std::string& group) {
  AgentOptions options;
  options.name = name;
  options.groups = {group};
  options.bus = {cluster.hub_endpoint(0)};
  options.heartbeat = std::chrono::milliseconds(Cluster::kHeartbeatMs);
  options.log_level = "error";
  return options;
}

}  // namespace rpclb::testing
