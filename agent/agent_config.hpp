// Everything an agent is configured with: `rpclb-agent`'s command line, or
// rpclb::AgentOptions and the handlers of a service that embeds one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/function_table.hpp"
#include "agent/functions_file.hpp"
#include "agent/logger.hpp"
#include "common/curve.hpp"
#include "rpclb/agent_defaults.hpp"

namespace rpclb::agent {

struct AgentConfig {
  std::string name;                          // unique on the bus; default: hostname
  std::vector<std::string> groups;           // load balancers this node joins
  std::string listen = "tcp://127.0.0.1:*";  // RPC endpoint to bind (* = any free port)
  std::string advertise;                     // endpoint announced to callers; default: the bound one
  std::string advertise_host = "127.0.0.1";  // replaces a wildcard bound host (agent/addressing.hpp)
  std::vector<std::string> bus;              // hubs to announce to
  std::optional<std::string> serve_bus;      // host a hub here too
  std::uint32_t weight = 1;
  std::vector<FunctionSpec> functions;  // allowlisted programs
  std::string functions_file;           // where they were read, read again on SIGHUP ("": none)
  FunctionTable handlers;               // in-process functions of an embedding service
  std::uint32_t heartbeat_ms = 1000;
  std::uint32_t missed_heartbeats = 3;  // for a hosted hub: TTL = this many heartbeats
  std::uint32_t workers = 16;
  std::uint32_t max_queue = 1024;                               // calls in flight beyond this are refused
  std::uint64_t max_inflight_bytes = kDefaultMaxInflightBytes;  // the budget (agent/inflight_budget.hpp)
  std::uint32_t drain_timeout_ms = 15000;
  LogLevel log_level = LogLevel::info;
  std::optional<CurveConfig> curve;           // set: every socket speaks CURVE
  std::optional<std::string> metrics_listen;  // HOST:PORT for GET /metrics
  std::string procfs = "/proc";               // where the host's load is read
};

}  // namespace rpclb::agent
