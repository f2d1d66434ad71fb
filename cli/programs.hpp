// The two programs' command lines, in the CLI library so that CLI11 (header-
// only, and slow to instantiate) is compiled once for both and for every
// subcommand; main.cpp and agent_main.cpp only call these.
#pragma once

#include "rpclb/agent.hpp"

namespace rpclb::cli {

// rpclb: parses the command line, runs the subcommand, returns the exit code.
int rpclb_main(int argc, char** argv);
// rpclb-agent: a command line over the public rpclb::Agent, which tells
// `lifecycle` (systemd, from agent_main.cpp) when it serves and drains.
int rpclb_agent_main(int argc, char** argv, const rpclb::AgentLifecycle& lifecycle = {});

}  // namespace rpclb::cli
