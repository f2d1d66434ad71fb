#include "cli/options.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>

#include <algorithm>

#include "algorithms/registry.hpp"
#include "common/endpoint.hpp"
#include "common/text.hpp"
#include "lib/balancer_settings.hpp"

namespace rpclb::cli {
namespace {

Result<AlgorithmOptions> parse_opts(const std::vector<std::string>& pairs) {
  AlgorithmOptions options;
  for (const auto& pair : pairs) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      return make_error(ErrorCode::bad_request, "--opt takes key=value, got '" + pair + "'");
    }
    options[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  return options;
}

}  // namespace

std::vector<std::string> algorithm_plugins(const CommonOptions& common) {
  std::vector<std::string> paths = common.config_algorithm_plugins;
  for (const auto& path : common.algorithm_plugin_flags) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return paths;
}

CLI::Validator in_range(std::uint64_t least, std::uint64_t most) {
  const std::string range = std::to_string(least) + " - " + std::to_string(most);
  return CLI::Validator(
      [least, most](std::string& input) {
        std::uint64_t value = 0;
        if (CLI::detail::lexical_cast(input, value) && value >= least && value <= most) return std::string();
        return "Value " + input + " not in range " + std::to_string(least) + " to " + std::to_string(most);
      },
      "UINT in [" + range + "]");
}

void add_common_flags(CLI::App& app, CommonOptions& common) {
  app.add_option("--bus", common.bus_flags,
                 "Bus hub endpoint (repeatable; default $RPCLB_BUS, else " + std::string(kDefaultBus) + ")")
      // One value per flag, so "--bus X -- ARGS" keeps "--" for the arguments.
      ->allow_extra_args(false);
  app.add_flag("--json", common.json, "Machine-readable output on stdout (and errors as JSON on stderr)");
  app.add_option("--timeout", common.timeout_ms, "Overall deadline in ms, discovery included")
      ->check(in_range(client_ranges::kTimeoutMs))
      ->default_str(std::to_string(common.timeout_ms));
  app.add_option("--bus-timeout", common.bus_timeout_ms, "How long to wait for bus hubs, in ms")
      ->check(in_range(client_ranges::kBusTimeoutMs))
      ->default_str(std::to_string(common.bus_timeout_ms));
  app.add_option("--connect-timeout", common.connect_timeout_ms,
                 "How long a member's connection may take before another is tried, in ms (bounded by --timeout)")
      ->check(in_range(client_ranges::kConnectTimeoutMs))
      ->default_str(std::to_string(common.connect_timeout_ms));
  for (const auto& setting : kFailureMemorySettings) {
    app.add_option(std::string(setting.flag), common.*setting.field, std::string(setting.help))
        ->check(in_range(setting.range))
        ->default_str(std::to_string(common.*setting.field));
  }
  app.add_option("--algorithm-plugin", common.algorithm_plugin_flags,
                 "Load more selection algorithms from this shared object, for --algorithm to name (repeatable; "
                 "see docs/writing-an-algorithm.md)")
      ->allow_extra_args(false);
  app.add_option("--curve-secret", common.curve_secret,
                 "This client's CURVE keypair file (default $RPCLB_CURVE_SECRET)")
      ->envname("RPCLB_CURVE_SECRET");
  app.add_option("--curve-server-key", common.curve_server_key,
                 "The cluster's CURVE public key file (default $RPCLB_CURVE_SERVER_KEY)")
      ->envname("RPCLB_CURVE_SERVER_KEY");
}

Status resolve_bus(CommonOptions& common) {
  // --bus, else $RPCLB_BUS, else the config files, else the local default.
  const bool from_config =
      common.bus_flags.empty() && !std::getenv(kBusEnvironmentVariable.data()) && !common.config_bus.empty();
  auto bus = from_config ? Result<std::vector<std::string>>(common.config_bus)
                         : rpclb::resolve_bus(common.bus_flags, kDefaultBus);
  if (!bus) return bus.error();
  common.bus = std::move(bus).value();
  return {};
}

void add_match(CLI::App& command, SelectionFlags& flags) {
  command
      .add_option(
          "--match", flags.match,
          "Only nodes with this exact name, or whose whole name matches /REGEX/ (or /REGEX/i: any case; RE2 syntax); "
          "repeatable")
      ->allow_extra_args(false);
}

void add_selection(CLI::App& command, const CommonOptions& common, SelectionFlags& flags) {
  flags.algorithm = common.algorithm;
  flags.algorithm_origin = common.algorithm_origin;
  command
      .add_option(
          "-a,--algorithm", flags.algorithm,
          "Selection algorithm: " + join(algorithms::algorithm_names()) + ", or one an --algorithm-plugin offers")
      ->capture_default_str()
      // Given on the command line: no longer the config file's to answer for.
      ->each([&flags](const std::string&) { flags.algorithm_origin.clear(); });
  command.add_option("--opt", flags.opts, "Algorithm option key=value (repeatable)")->allow_extra_args(false);
  command.add_option("--key", flags.key, "Routing key for key-based algorithms");
  command.add_option("--wait-for-member", flags.wait_for_member_ms,
                     "If no member matches, wait up to MS for one to join (default: fail at once)");
  add_match(command, flags);
}

void add_retries(CLI::App& command, SelectionFlags& flags) {
  command
      .add_option("--retries", flags.retries,
                  "Other members to try when one cannot take the request (unreachable, draining)")
      ->check(in_range(client_ranges::kRetries))
      ->default_str(std::to_string(flags.retries));
  command.add_flag("--retry-on-timeout", flags.retry_on_timeout,
                   "Also retry after a timeout, when the function may have run (idempotent functions only); "
                   "each attempt then gets an equal share of --timeout");
}

FailureMemory failure_memory(const CommonOptions& common) {
  FailureMemory memory;
  memory.eject_after_timeouts = common.eject_after_timeouts;
  memory.eject_base = std::chrono::milliseconds(common.eject_base_ms);
  memory.eject_max = std::chrono::milliseconds(common.eject_max_ms);
  memory.max_ejected_percent = common.max_ejected_percent;
  memory.retry_budget_percent = common.retry_budget_percent;
  memory.min_retries_per_second = common.retry_floor;
  memory.selection_ttl = std::chrono::seconds(common.selection_ttl_s);
  return memory;
}

Clock::time_point deadline_for(const CommonOptions& common) {
  return Clock::now() + std::chrono::milliseconds(common.timeout_ms);
}

Result<std::optional<CurveConfig>> client_curve(const CommonOptions& common) {
  return load_client_curve(common.curve_secret, common.curve_server_key, "--curve-secret and --curve-server-key");
}

Result<Balancer> make_balancer(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                               CallTracing tracing) {
  auto opts = parse_opts(selection.opts);
  if (!opts) return opts.error();
  auto curve = client_curve(common);
  if (!curve) return curve.error();
  ClientOptions settings;
  settings.group = group;
  // Commands that choose nothing (members, ping) have no --algorithm.
  settings.algorithm = selection.algorithm.empty() ? std::string(kDefaultAlgorithm) : selection.algorithm;
  // Plug-ins are loaded (and checked) only by the commands that choose.
  if (!selection.algorithm.empty()) settings.algorithm_plugins = algorithm_plugins(common);
  settings.algorithm_options.insert(opts->begin(), opts->end());
  settings.match = selection.match;
  settings.timeout = std::chrono::milliseconds(common.timeout_ms);
  settings.bus_timeout = std::chrono::milliseconds(common.bus_timeout_ms);
  settings.connect_timeout = std::chrono::milliseconds(common.connect_timeout_ms);
  settings.retries = selection.retries;
  settings.retry_on_timeout = selection.retry_on_timeout;
  settings.wait_for_member = std::chrono::milliseconds(selection.wait_for_member_ms);
  settings.failure_memory = failure_memory(common);
  // Each command is a fresh process: it asks the bus, and chooses through
  // the state file every rpclb on the host shares.
  settings.membership_refresh = std::chrono::milliseconds(0);
  settings.shared_state = true;
  auto options = balancer_options(std::move(settings), common.bus, *curve);
  // An algorithm a config file named: its error names the file and line.
  options.algorithm_origin = selection.algorithm_origin;
  options.key = selection.key;
  options.request_id = std::move(tracing.request_id);
  options.on_attempt = std::move(tracing.on_attempt);
  return Balancer::create(std::move(options));
}

}  // namespace rpclb::cli
