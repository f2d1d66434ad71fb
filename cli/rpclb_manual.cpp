#include "cli/config_file.hpp"
#include "cli/manuals.hpp"
#include "common/text.hpp"

namespace rpclb::cli {

ManPage rpclb_manual() {
  ManPage page;
  page.name = "rpclb";
  page.section = "1";
  page.summary = "discover, select and call members of rpclb load-balancer groups";
  page.synopsis = "rpclb [OPTIONS] COMMAND [ARGS] [--] [ARG...]";
  page.description =
      "rpclb finds the members of a load-balancer group on the rpclb bus (agents announce themselves to bus hubs),\n"
      "chooses one or several with a selection algorithm, and calls or casts a named function on them: a built-in\n"
      "(sys.*) or a program the agent's functions file allows. Plain output by default, --json for scripts,\n"
      "errors on stderr as \"rpclb: CODE: MESSAGE\", and stable exit codes.";
  page.sections = {
      {"EXIT STATUS",
       "  0  ok\n"
       "  1  internal             the remote function failed, rpclb could not write its output, or rpclb failed\n"
       "  2  bad_request          bad usage, arguments, regex, algorithm, option or plug-in\n"
       "  3  not_found            no member tried has such a function\n"
       "  4  service_unavailable  no (matching) member, node unreachable or draining\n"
       "  5  request_timeout      no reply before --timeout\n"
       "  6                       a remote program exited non-zero (--raw: its own status instead)\n"
       "  7  service_unavailable  no bus hub answered (the group may have members)\n"
       "  130, 143                a fan-out stopped by SIGINT, SIGTERM (what arrived is printed)"},
      {"ENVIRONMENT",
       "  RPCLB_BUS        comma-separated bus hubs when --bus is not given\n"
       "  RPCLB_STATE_DIR  where balancer state lives (default $XDG_RUNTIME_DIR/rpclb)\n"
       "  RPCLB_CURVE_SECRET, RPCLB_CURVE_SERVER_KEY  key files when the flags are not given"},
      {"FILES",
       "Configuration files (key = value; flags override environment, which overrides files):\n"
       "  /etc/rpclb/rpclb.conf, then ~/.config/rpclb/rpclb.conf ($XDG_CONFIG_HOME)\n"
       "  keys: " +
           join(config_keys()) +
           "\n"
           "Balancer state, shared by every rpclb of a host: $RPCLB_STATE_DIR/GROUP.state"},
      {"THE FUNCTIONS FILE",
       "What an agent may run besides its sys.* built-ins (rpclb-agent --functions FILE), one section each:\n"
       "  [disk.usage]\n"
       "  program = /usr/bin/df          absolute path, run directly (never through a shell)\n"
       "  args = -h \"/var/lib/my data\"   fixed argv prefix; call arguments follow, one argv entry each\n"
       "  timeout_ms = 5000              default 10000\n"
       "  max_output_bytes = 65536       per stream; default 1 MiB, at most 3 MiB\n"
       "  stdin = true                   a caller may send its standard input (rpclb call --stdin)\n"
       "A program's result is {exit_code, stdout, stderr, truncated}. See rpclb-agent(8).",
       false},
      {"EXAMPLES",
       "Call a function on one member, chosen by the default algorithm:\n"
       "  rpclb call web sys.echo hello\n"
       "Every member, each line as its answer arrives; then as JSON for jq:\n"
       "  rpclb call web disk.usage /var --all\n"
       "  rpclb call web disk.usage /var --all --json-lines | jq -r 'select(.error) | .node'\n"
       "A remote program's status in an if, as with ssh:\n"
       "  if rpclb call web service.status nginx --raw; then echo up; fi\n"
       "Its output on every member, grouped where it is the same (as dshbak -c):\n"
       "  rpclb call web service.status nginx --all --raw --gather\n"
       "Send a file to a program that takes standard input (stdin = true):\n"
       "  rpclb call web text.sha256 --stdin --raw < release.tar.gz\n"
       "Follow a group's membership until Ctrl-C:\n"
       "  rpclb members web --watch --json",
       false},
      {"SEE ALSO", "rpclb-agent(8), jq(1); README.md and docs/protocol.md of rpclb", false},
  };
  return page;
}

}  // namespace rpclb::cli
