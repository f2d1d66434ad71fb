// Agent: the per-host daemon. One event loop owns every socket:
//
//   signalfd ──> drain: leave the bus, refuse new calls, finish in-flight ones
//   RPC ROUTER ──> decode ──> WorkerPool ──> completion PULL ──> RPC ROUTER
//   Announcer (XPUB) ──> every hub, on start, on each hub (re)subscribe, and per heartbeat
//   BusHub (optional) ──> the membership view clients snapshot
#pragma once

#include "agent/agent_config.hpp"
#include "agent/signals.hpp"

namespace rpclb::agent {

// Runs until SIGTERM/SIGINT and the drain that follows; returns the exit code.
int run_agent(const AgentConfig& config, SignalFd& signals);

}  // namespace rpclb::agent
