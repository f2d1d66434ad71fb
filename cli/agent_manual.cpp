#include "cli/manuals.hpp"

namespace rpclb::cli {

ManPage rpclb_agent_manual() {
  ManPage page;
  page.name = "rpclb-agent";
  page.section = "8";
  page.summary = "join rpclb load-balancer groups and serve RPCs";
  page.synopsis = "rpclb-agent --group GROUP... [OPTIONS]";
  page.description =
      "rpclb-agent announces this node's load-balancer groups on the rpclb bus (to bus hubs, one of which it may\n"
      "host with --serve-bus) and serves calls: its sys.* built-ins and the programs its functions file allows,\n"
      "never anything else, with call arguments as argv entries and never shell text. One agent per host.\n"
      "It logs logfmt lines on stderr, with syslog priority prefixes for journald.";
  page.sections = {
      {"SIGNALS",
       "SIGTERM, SIGINT  leave the bus (callers stop choosing it at once), refuse new calls, let in-flight calls\n"
       "                 finish for up to --drain-timeout, exit 0; a second one exits at once (128 + signal)\n"
       "SIGHUP           read the functions file again (a bad one changes nothing)",
       false},
      {"THE FUNCTIONS FILE",
       "--functions FILE allows programs, one section per function (MODULE.FUNCTION; sys is reserved):\n"
       "  [disk.usage]\n"
       "  program = /usr/bin/df          absolute path, run directly (never through a shell)\n"
       "  args = -h \"/var/lib/my data\"   fixed argv prefix; \"...\" keeps spaces, \\ escapes\n"
       "  timeout_ms = 5000              default 10000; the process group is killed after it\n"
       "  max_output_bytes = 65536       per stream; default 1 MiB, at most 3 MiB\n"
       "  stdin = true                   a caller may send its standard input (default false: /dev/null)\n"
       "Each call argument becomes exactly one more argv entry. The result is {exit_code, stdout, stderr,\n"
       "truncated}. A bad file stops the agent at start, naming the line.",
       false},
      {"EXIT STATUS",
       "  0    stopped when asked (SIGTERM, SIGINT), after draining\n"
       "  2    bad options or functions file, or a name another live agent holds on the bus\n"
       "  4    cannot bind its endpoint (the port is taken, or the address is not this host's)\n"
       "  128+N  a second signal N while draining or tearing down"},
      {"ENVIRONMENT", "  RPCLB_BUS  comma-separated bus hubs when --bus is not given"},
      {"FILES",
       "/etc/default/rpclb-agent   RPCLB_AGENT_OPTS for the systemd unit rpclb-agent.service\n"
       "/usr/share/doc/rpclb/functions.conf.example   an example allowlist",
       false},
      {"EXAMPLES",
       "A member of group web that hosts the bus hub, allowing the programs of functions.conf:\n"
       "  rpclb-agent --group web --serve-bus tcp://0.0.0.0:7400 --functions /etc/rpclb/functions.conf\n"
       "Another host's agent, announcing to that hub:\n"
       "  rpclb-agent --group web --bus tcp://hub.example:7400",
       false},
      {"SEE ALSO", "rpclb(1); README.md and docs/protocol.md of rpclb", false},
  };
  return page;
}

}  // namespace rpclb::cli
