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

#include <functional>
#include <future>
#include <string>

#include "agent/agent_config.hpp"
#include "agent/announcer.hpp"
#include "agent/logger.hpp"
#include "agent/reactor.hpp"
#include "rpclb/error.hpp"

namespace rpclb::agent {

struct NameClaim {
  enum class Outcome { ours, replaces, unsettled };
  Outcome outcome = Outcome::unsettled;
  std::string predecessor;  // replaces: the dead instance to announce the leave of
};

// One asking. An error when a live agent holds the name. `own_hub_too`: also
// ask the hub this agent hosts (pointless at its start: it knows nobody yet).
Result<NameClaim> claim_name(zmq::context_t& context, const AgentConfig& config, const std::string& instance,
                             const Logger& log, bool own_hub_too);

// Asks on a thread of its own, from the agent's start, every 3 heartbeats
// until the name is settled (or kAttempts asks), so the loop never waits for
// a hub. A dead predecessor goes to `announcer`; a live holder to `on_taken`.
class NameClaimer {
 public:
  using OnTaken = std::function<void(Error)>;
  static constexpr int kAttempts = 20;

  NameClaimer(Reactor& reactor, zmq::context_t& context, const AgentConfig& config, std::string instance,
              const Logger& log, Announcer& announcer, OnTaken on_taken);
  NameClaimer(const NameClaimer&) = delete;
  NameClaimer& operator=(const NameClaimer&) = delete;
  ~NameClaimer();  // waits for an asking in progress (2 s at most)

  // Leaving: the name is no longer ours to claim.
  void stop_asking() { settled_ = true; }

 private:
  void on_due();

  zmq::context_t& context_;
  const AgentConfig& config_;
  std::string instance_;
  const Logger& log_;
  Announcer& announcer_;
  OnTaken on_taken_;
  std::future<Result<NameClaim>> asking_;
  Clock::time_point next_at_ = Clock::now();
  int attempts_ = 0;
  bool settled_ = false;
};

}  // namespace rpclb::agent
