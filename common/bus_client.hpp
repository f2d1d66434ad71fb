// Discovery for one-shot clients: ask every bus hub for its snapshot of a
// group and merge the answers, so a fresh process sees current membership at
// once instead of waiting for the next heartbeat (the Clone pattern's
// snapshot step).
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/curve.hpp"
#include "common/protocol.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

// How the service_unavailable error of a discovery that no hub answered
// begins: `rpclb` exits with its own code for it, apart from an empty group.
inline constexpr std::string_view kNoHubAnswered = "no bus hub answered at ";

struct DiscoveryOptions {
  std::vector<std::string> bus;  // hub endpoints, as users write them
  Clock::time_point deadline;
  // After the first hub answers, how long to wait for the others: their views
  // only differ while an announcement is in flight.
  std::chrono::milliseconds grace{30};
  std::optional<CurveConfig> curve;
};

// Discovery on `bus` that gives up at `deadline`, or `bus_timeout` from now
// if that comes first.
DiscoveryOptions discovery_until(std::vector<std::string> bus, std::optional<CurveConfig> curve,
                                 Clock::time_point deadline, std::chrono::milliseconds bus_timeout);

// Members by name, as merged from several hubs' snapshots.
using MergedMembers = std::map<std::string, Member, std::less<>>;

// Adds one hub's snapshot to `merged`: the first hub to name a member wins,
// and a member this client could not use (member_rules.hpp) is skipped, so
// one bad entry from a hub of another version never hides the others.
void merge_snapshot(MergedMembers& merged, protocol::Snapshot snapshot);

// Members of `group` (all members if empty), ordered by name. Fails with
// service_unavailable when no hub answers before the deadline.
Result<std::vector<Member>> fetch_members(zmq::context_t& context, const std::string& group,
                                          const DiscoveryOptions& options);

}  // namespace rpclb
