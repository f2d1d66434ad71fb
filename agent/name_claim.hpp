// Names are unique on the bus. While an agent serves, it asks the hubs who
// holds its name, and if that is another instance, whether it still answers
// (a call addressed to it by name and instance):
//
//   ours                       settled
//   a live agent's             refuse to go on, naming it (bad_request: exit 2)
//   a dead predecessor's       tell the hubs it left (Announcer::replace), so a
//   (killed -9, hung, or its   restart takes its name back at once instead of
//   endpoint someone else's)   after its time to live; then ask again
//   nobody's, or no hub        ask again: our announcement has not reached a
//   answered                   hub yet (the hub may not be up)
//
// Hubs keep the first live holder of a name (MembershipView::Change::conflict)
// and refuse, logging name_conflict, what another instance announces; asking
// until the answer is "ours" means that of two agents started with one name
// before any hub was up, the one the hubs refused is the one that exits.
#pragma once

#include <zmq.hpp>

#include <string>

#include "agent/agent_config.hpp"
#include "agent/logger.hpp"
#include "rpclb/error.hpp"

namespace rpclb::agent {

struct NameClaim {
  enum class Outcome { ours, replaces, unsettled };
  Outcome outcome = Outcome::unsettled;
  std::string predecessor;  // replaces: the dead instance to announce the leave of
};

// An error when a live agent holds the name. `own_hub_too`: also ask the hub
// this agent hosts (pointless at its start: it knows nobody yet).
Result<NameClaim> claim_name(zmq::context_t& context, const AgentConfig& config, const std::string& instance,
                             const Logger& log, bool own_hub_too);

}  // namespace rpclb::agent
