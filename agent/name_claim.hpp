// Names are unique on the bus. Before an agent announces itself it asks the
// hubs whether its name is held by another instance, and if so whether that
// instance still answers (a call addressed to it by name and instance):
//
//   nobody holds it            announce
//   a live agent holds it      refuse to start, naming it (bad_request)
//   a dead predecessor does    announce, after a leave in its name, so a
//   (killed -9, hung, or its   restart replaces its old entry at once
//   endpoint is someone else's) instead of after its time to live
//
// Hubs keep the first live holder of a name (MembershipView::Change::conflict)
// whatever announces later, so two agents started at the same moment, or
// while no hub answers, cannot take each other's name either: the later one
// is refused by the hubs, which log name_conflict.
#pragma once

#include <zmq.hpp>

#include <optional>
#include <string>

#include "agent/agent_config.hpp"
#include "agent/logger.hpp"
#include "rpclb/error.hpp"

namespace rpclb::agent {

// The instance this agent replaces (to be told to leave), if any; an error
// when a live agent holds the name.
Result<std::optional<std::string>> claim_name(zmq::context_t& context, const AgentConfig& config,
                                              const std::string& instance, const Logger& log);

}  // namespace rpclb::agent
