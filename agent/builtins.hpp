// The sys.* functions every agent serves: sys.echo, sys.sleep, sys.info,
// sys.stats.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/function_table.hpp"
#include "common/metric_families.hpp"
#include "common/protocol.hpp"

namespace rpclb::agent {

// What sys.info reports; fixed at start-up except the in-flight counter,
// which the agent's event loop keeps current.
struct AgentFacts {
  std::string name;
  std::string host;
  std::vector<std::string> groups;
  std::int64_t pid = 0;
  std::chrono::steady_clock::time_point started;
  std::string version;
  std::atomic<std::uint32_t> in_flight{0};
  // The host's figures (agent/host_load.hpp), kUnknownFigure until read.
  std::atomic<std::uint32_t> cpu{protocol::kUnknownFigure};
  std::atomic<std::uint32_t> load_average{protocol::kUnknownFigure};
};

// sys.stats's value: the agent's metrics (common/metric_families.hpp).
using StatsSource = std::function<std::vector<MetricFamily>()>;

inline constexpr std::uint32_t kMaxSleepMs = 3600 * 1000;

void add_builtins(FunctionTable& table, std::shared_ptr<const AgentFacts> facts, StatsSource stats);

}  // namespace rpclb::agent
