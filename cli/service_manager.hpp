// What rpclb-agent tells systemd (Type=notify): READY=1 once it serves and
// has announced itself, STOPPING=1 when a stop begins its drain, each with a
// STATUS line for `systemctl status`, and WATCHDOG=1 from its event loop
// twice per WatchdogSec= when the unit sets one. Outside systemd ($NOTIFY_SOCKET unset)
// it tells nobody. Only rpclb-agent links libsystemd: rpclb never loads it.
#pragma once

#include "rpclb/agent.hpp"

namespace rpclb::cli {

rpclb::AgentLifecycle systemd_lifecycle();

}  // namespace rpclb::cli
