// rpclb-agent: joins load-balancer groups on the bus and serves RPCs.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cstdio>

#include "agent/agent.hpp"
#include "common/endpoint.hpp"

namespace {

using rpclb::agent::AgentConfig;

std::string default_name() {
  char buffer[256] = {};
  ::gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

// Checks that CLI11 cannot express; returns an error message or "".
std::string validate(AgentConfig& config) {
  for (const auto& bus : config.bus) {
    if (auto address = rpclb::bus_address(bus); !address) return "--bus: " + address.error().message;
  }
  if (config.serve_bus) {
    if (auto address = rpclb::bus_address(*config.serve_bus); !address)
      return "--serve-bus: " + address.error().message;
  }
  if (auto status = rpclb::validate_endpoint(config.listen, true); !status)
    return "--listen: " + status.error().message;
  if (!config.advertise.empty()) {
    if (auto status = rpclb::validate_endpoint(config.advertise, false); !status) {
      return "--advertise: " + status.error().message;
    }
  }
  for (const auto& group : config.groups) {
    if (group.empty()) return "--group: group names cannot be empty";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists (see SignalFd).
  rpclb::agent::SignalFd signals;

  AgentConfig config;
  config.name = default_name();
  std::string functions_file;
  std::string log_level = "info";
  std::string curve_secret;
  std::string curve_authorized;

  CLI::App app{"rpclb-agent " RPCLB_VERSION
               ": announces this node's load-balancer groups on the rpclb bus and serves RPCs.\n"
               "Stops on SIGTERM/SIGINT after leaving the bus and finishing in-flight calls."};
  app.add_option("--name", config.name, "Node name, unique on the bus (default: hostname)");
  app.add_option("-g,--group", config.groups, "Load-balancer group to join (repeatable)")->allow_extra_args(false);
  app.add_option("--listen", config.listen, "Endpoint to serve RPCs on; port * picks a free one")
      ->capture_default_str();
  app.add_option("--advertise", config.advertise, "Endpoint callers should use (default: the bound one)");
  app.add_option(
         "--bus", config.bus,
         "Bus hub to announce to (repeatable; default: $RPCLB_BUS, else " + std::string(rpclb::kDefaultBus) + ")")
      ->allow_extra_args(false);
  app.add_option("--serve-bus", config.serve_bus, "Also host a bus hub at this endpoint (uses ports P..P+2)");
  app.add_option("--weight", config.weight, "Weight for weighted algorithms")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--functions", functions_file, "Allowlist of programs this agent may run (see README)");
  app.add_option("--heartbeat-ms", config.heartbeat_ms, "Announcement interval")
      ->check(CLI::Range(10u, 600000u))
      ->capture_default_str();
  app.add_option("--missed-heartbeats", config.missed_heartbeats,
                 "For a hosted hub: heartbeats a member may miss before it is dropped")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  app.add_option("--workers", config.workers, "Threads running calls")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  app.add_option("--max-queue", config.max_queue, "Calls in flight beyond which new ones are refused")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--drain-timeout", config.drain_timeout_ms, "On SIGTERM, ms to wait for in-flight calls")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "error, warn, info or debug")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  app.add_option("--curve-secret", curve_secret,
                 "Cluster keypair (rpclb keygen): every socket then speaks CURVE and authenticates peers");
  app.add_option("--curve-authorized", curve_authorized,
                 "Folder of client public keys (*.pub) allowed to read membership and call (with --curve-secret)");
  app.set_version_flag("--version", RPCLB_VERSION);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "rpclb-agent: bad_request: %s (see rpclb-agent --help)\n", e.what());
    return 2;
  }

  auto bus = rpclb::resolve_bus(config.bus, config.serve_bus.value_or(std::string(rpclb::kDefaultBus)));
  if (!bus) {
    std::fprintf(stderr, "rpclb-agent: bad_request: %s\n", bus.error().message.c_str());
    return 2;
  }
  config.bus = std::move(bus).value();
  config.log_level = *rpclb::agent::parse_log_level(log_level);
  if (!functions_file.empty()) {
    auto specs = rpclb::agent::load_functions_file(functions_file);
    if (!specs) {
      std::fprintf(stderr, "rpclb-agent: bad_request: %s\n", specs.error().message.c_str());
      return 2;
    }
    config.functions = std::move(specs).value();
  }
  if (curve_secret.empty() != curve_authorized.empty()) {
    std::fprintf(stderr, "rpclb-agent: bad_request: --curve-secret and --curve-authorized go together\n");
    return 2;
  }
  if (!curve_secret.empty()) {
    auto keys = rpclb::load_keypair(curve_secret);
    auto allowed = rpclb::load_authorized_keys(curve_authorized);
    if (!keys || !allowed) {
      std::fprintf(stderr, "rpclb-agent: bad_request: %s\n", (!keys ? keys.error() : allowed.error()).message.c_str());
      return 2;
    }
    config.curve = rpclb::CurveConfig{*keys, keys->public_key, *allowed};
  }
  if (const auto problem = validate(config); !problem.empty()) {
    std::fprintf(stderr, "rpclb-agent: bad_request: %s\n", problem.c_str());
    return 2;
  }

  try {
    return rpclb::agent::run_agent(config, signals);
  } catch (const std::exception& e) {
    // Typically a bind failure: the port is taken or the address is not ours.
    std::fprintf(stderr, "rpclb-agent: service_unavailable: %s\n", e.what());
    return 4;
  }
}
