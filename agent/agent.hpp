// The agent's serving loop, under both rpclb-agent and rpclb::Agent. One
// event loop (agent/reactor.hpp) owns every socket; docs/threads.md says
// which thread runs what:
//
//   StopSource ──> drain: leave the bus, refuse new calls, finish in-flight ones
//   RPC ROUTER ──> decode ──> WorkerPool ──> completion queue (eventfd) ──> RPC ROUTER
//   Announcer (XPUB) ──> every hub, on start, on each hub (re)subscribe, and per heartbeat
//   BusHub (optional) ──> the membership view clients snapshot
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include "agent/agent_config.hpp"
#include "common/stop_source.hpp"
#include "rpclb/error.hpp"

namespace rpclb::agent {

// Told the advertised endpoint once the agent is bound and has announced itself.
using OnServing = std::function<void(const std::string& endpoint)>;
// Told when a stop has begun the drain (the agent has left the bus).
using OnDraining = std::function<void()>;
// Told every `interval` by the serving loop itself while it turns (serving
// and draining): a loop that hangs stops telling, and a watchdog (systemd's
// WatchdogSec=) can restart the agent.
struct Liveness {
  std::chrono::milliseconds interval{0};  // 0: nobody is told
  std::function<void()> alive;
};

// Why an agent could not go on, with the code its caller reports.
struct AgentFailure : std::runtime_error {
  explicit AgentFailure(Error failure) : std::runtime_error(failure.message), error(std::move(failure)) {}
  Error error;
};

// Serves until `stop` fires and the drain that follows.
// Throws AgentFailure when its name is taken by a live agent, and another
// std::exception when it cannot start (a port taken, a function served twice).
void run_agent(const AgentConfig& config, StopSource& stop, const OnServing& on_serving = {},
               const OnDraining& on_draining = {}, const Liveness& liveness = {});

}  // namespace rpclb::agent
