// rpclb-agent: joins load-balancer groups on the bus and serves RPCs. A
// command line over the public rpclb::Agent (lib/include/rpclb/agent.hpp),
// beside rpclb's own main.cpp; its numeric flags share their ranges with
// rpclb::Agent::create (common/option_ranges.hpp).
#include "cli/programs.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "cli/manuals.hpp"
#include "common/option_ranges.hpp"
#include "rpclb/agent.hpp"

namespace rpclb::cli {
namespace {

CLI::Range range_of(const rpclb::OptionRange& range) {
  return CLI::Range(range.low, range.high);
}

// Errors as rpclb-agent reports them, with the documented exit codes.
int fail_agent(const rpclb::Error& error) {
  std::fprintf(stderr, "rpclb-agent: %s: %s\n", std::string(rpclb::to_string(error.code)).c_str(),
               error.message.c_str());
  return rpclb::exit_code_for(error.code);
}

}  // namespace

int rpclb_agent_main(int argc, char** argv, const rpclb::AgentLifecycle& lifecycle) {
  rpclb::AgentOptions options;
  options.log_level = "info";
  std::uint32_t heartbeat_ms = 1000;
  std::uint32_t drain_timeout_ms = 15000;

  CLI::App app{"rpclb-agent " RPCLB_VERSION
               ": announces this node's load-balancer groups on the rpclb bus and serves RPCs.\n"
               "Stops on SIGTERM/SIGINT after leaving the bus and finishing in-flight calls."};
  app.add_option("--name", options.name, "Node name, unique on the bus (default: hostname)");
  app.add_option("-g,--group", options.groups, "Load-balancer group to join (repeatable)")->allow_extra_args(false);
  app.add_option("--listen", options.listen,
                 "Endpoint to serve RPCs on; port * picks a free one (default: tcp://127.0.0.1:*, or tcp://[::1]:* "
                 "beside an IPv6 hub, when every hub is on this host, else tcp://*:*, IPv6 and IPv4)");
  app.add_option("--advertise", options.advertise,
                 "Endpoint callers should use (default: the bound one; on every interface, the address this host's "
                 "route to a hub on another host leaves from). Never loopback when a hub is elsewhere");
  app.add_option("--bus", options.bus,
                 "Bus hub to announce to (repeatable; default: $RPCLB_BUS, else --serve-bus, else "
                 "tcp://127.0.0.1:7400)")
      ->allow_extra_args(false);
  app.add_option("--serve-bus", options.serve_bus, "Also host a bus hub at this endpoint (uses ports P..P+2)");
  app.add_option("--weight", options.weight, "Weight for weighted algorithms")
      ->check(range_of(rpclb::agent_ranges::kWeight))
      ->capture_default_str();
  app.add_option("--functions", options.functions_file, "Allowlist of programs this agent may run (see README)");
  app.add_option("--heartbeat-ms", heartbeat_ms, "Announcement interval")
      ->check(range_of(rpclb::agent_ranges::kHeartbeatMs))
      ->capture_default_str();
  app.add_option("--missed-heartbeats", options.missed_heartbeats,
                 "For a hosted hub: heartbeats a member may miss before it is dropped")
      ->check(range_of(rpclb::agent_ranges::kMissedHeartbeats))
      ->capture_default_str();
  app.add_option("--workers", options.workers, "Threads running calls")
      ->check(range_of(rpclb::agent_ranges::kWorkers))
      ->capture_default_str();
  app.add_option("--max-queue", options.max_queue, "Calls in flight beyond which new ones are refused")
      ->check(range_of(rpclb::agent_ranges::kMaxQueue))
      ->capture_default_str();
  app.add_option("--max-inflight-bytes", options.max_inflight_bytes,
                 "Memory budget for calls: requests read and not answered, replies not yet taken by their caller "
                 "(a size: 256MiB, 64M, 1048576)")
      ->transform(CLI::AsSizeValue(false))
      ->check(range_of(rpclb::agent_ranges::kMaxInflightBytes))
      ->capture_default_str();
  app.add_option("--drain-timeout", drain_timeout_ms, "On SIGTERM, ms to wait for in-flight calls")
      ->check(range_of(rpclb::agent_ranges::kDrainTimeoutMs))
      ->capture_default_str();
  app.add_option("--log-level", options.log_level,
                 "error, warn, info or debug: logfmt lines on stderr, with syslog priority prefixes for journald")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  app.add_option("--curve-secret", options.curve_secret_file,
                 "Cluster keypair (rpclb keygen): every socket then speaks CURVE and authenticates peers");
  app.add_option("--curve-authorized", options.curve_authorized_dir,
                 "Folder of client public keys (*.pub) allowed to read membership and call (with --curve-secret)");
  app.add_option("--metrics-listen", options.metrics_listen,
                 "Serve GET /metrics (Prometheus text) on HOST:PORT, e.g. 127.0.0.1:9464 (port 0: any free one)");
  app.add_option("--procfs", options.procfs,
                 "Where to read the host's CPU use and load average (stat, loadavg), for least_cpu and the metrics")
      ->capture_default_str();
  app.set_version_flag("--version", RPCLB_VERSION);
  const auto manual = rpclb_agent_manual();
  app.footer(help_footer(manual.sections));
  // `rpclb-agent __man`, `rpclb-agent __complete CWORD WORD...` (cli/help_pages.hpp).
  if (argc > 1 && std::string_view(argv[1]) == "__man") {
    std::fputs(man_page(app, manual).c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  if (argc > 2 && std::string_view(argv[1]) == "__complete") {
    const std::vector<std::string> words(argv + 3, argv + argc);
    const auto no_bus = [](const std::string&) { return std::vector<std::string>{}; };
    for (const auto& candidate : completions(app, words, std::strtoul(argv[2], nullptr, 10), no_bus)) {
      std::printf("%s\n", candidate.c_str());
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail_agent({rpclb::ErrorCode::bad_request, std::string(e.what()) + " (see rpclb-agent --help)"});
  }
  options.heartbeat = std::chrono::milliseconds(heartbeat_ms);
  options.drain_timeout = std::chrono::milliseconds(drain_timeout_ms);

  auto agent = rpclb::Agent::create(std::move(options));
  if (!agent) return fail_agent(agent.error());
  // Serves until SIGTERM/SIGINT; a bind failure is service_unavailable (exit 4).
  if (auto served = agent->run_until_signal(lifecycle); !served) return fail_agent(served.error());
  return 0;
}

}  // namespace rpclb::cli
