// The sys.* functions every agent serves: sys.echo, sys.sleep, sys.info.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/function_table.hpp"

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
};

inline constexpr std::uint32_t kMaxSleepMs = 3600 * 1000;

void add_builtins(FunctionTable& table, std::shared_ptr<const AgentFacts> facts);

}  // namespace rpclb::agent
