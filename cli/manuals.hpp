// The prose of rpclb(1) and rpclb-agent(8) beside what their CLI11
// definitions give (cli/help_pages.hpp): exit status, environment, files, the
// functions file and examples, written once for --help and the manual.
#pragma once

#include "cli/help_pages.hpp"

namespace rpclb::cli {

ManPage rpclb_manual();
ManPage rpclb_agent_manual();

}  // namespace rpclb::cli
