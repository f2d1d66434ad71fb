// rpclb::Member: one member of a group as its agent announces it on the bus.
// Clients return it (members(), select(), who ran a call) and selection
// algorithms choose among a list of them (rpclb/algorithm.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rpclb {

// A figure a member did not announce (its agent runs a version without it).
inline constexpr std::uint32_t kUnknownFigure = UINT32_MAX;

struct Member {
  std::string name;
  // Random per agent process: a restarted agent is a new instance of its name.
  std::string instance;
  std::string endpoint;  // where the agent serves calls
  std::vector<std::string> groups;
  std::uint32_t weight = 1;
  std::uint32_t load = 0;  // calls in flight on the agent, as last announced
  std::uint32_t heartbeat_ms = 1000;
  std::string version;  // the agent's rpclb version
  // The host's CPU busy, in thousandths of all its cores, and its one-minute
  // load average in thousandths; kUnknownFigure from agents before 0.3.0.
  std::uint32_t cpu = kUnknownFigure;
  std::uint32_t load_average = kUnknownFigure;

  friend bool operator==(const Member&, const Member&) = default;
};

}  // namespace rpclb
