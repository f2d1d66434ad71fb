// rpclb: discover, select and call members of rpclb load-balancer groups.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <set>
#include <string_view>

#include "algorithms/registry.hpp"
#include "cli/call_arguments.hpp"
#include "cli/commands.hpp"
#include "cli/config_file.hpp"
#include "cli/output.hpp"
#include "cli/verbatim_argv.hpp"
#include "common/endpoint.hpp"

namespace {

using rpclb::cli::CommonOptions;
using rpclb::cli::SelectionFlags;

constexpr const char* kFooter = R"(Exit codes:
  0  ok
  1  internal             the remote function failed, or rpclb itself did
  2  bad_request          bad usage, arguments, regex, algorithm or option
  3  not_found            the member has no such function
  4  service_unavailable  no (matching) member, bus or node unreachable, node draining
  5  request_timeout      no reply before --timeout

Environment:
  RPCLB_BUS        comma-separated bus hubs when --bus is not given
  RPCLB_STATE_DIR  where balancer state lives (default $XDG_RUNTIME_DIR/rpclb)
  RPCLB_CURVE_SECRET, RPCLB_CURVE_SERVER_KEY  key files when the flags are not given

Configuration files (key = value; flags override environment, which overrides files):
  /etc/rpclb/rpclb.conf, then ~/.config/rpclb/rpclb.conf
  keys: bus, algorithm, timeout_ms, bus_timeout_ms, curve_secret, curve_server_key)";

void add_match(CLI::App& command, SelectionFlags& flags) {
  command
      .add_option(
          "--match", flags.match,
          "Only nodes with this exact name, or whose whole name matches /REGEX/ (or /REGEX/i: any case; RE2 syntax); "
          "repeatable")
      ->allow_extra_args(false);
}

void add_selection(CLI::App& command, SelectionFlags& flags) {
  std::string names;
  for (auto name : rpclb::algorithms::algorithm_names()) names += (names.empty() ? "" : ", ") + std::string(name);
  command.add_option("-a,--algorithm", flags.algorithm, "Selection algorithm: " + names)->capture_default_str();
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
      ->check(CLI::Range(0u, 100u))
      ->capture_default_str();
  command.add_flag("--retry-on-timeout", flags.retry_on_timeout,
                   "Also retry after a timeout, when the function may have run (idempotent functions only); "
                   "each attempt then gets an equal share of --timeout");
}

constexpr std::array<std::string_view, 9> kSubcommands{"members", "select", "call", "cast",  "release",
                                                       "keygen",  "groups", "ping", "status"};

// The first word on the command line that is not an option or an option's
// value: the subcommand, or a word that was meant to be one ("" if none).
// Only that subcommand gets its options built: CLI11 set-up is a measurable
// share of a one-shot run, and every other subcommand needs just its name for
// --help.
std::string requested_subcommand(int argc, char** argv) {
  static const std::set<std::string_view> kTakesValue{"--bus", "--timeout", "--bus-timeout", "--curve-secret",
                                                      "--curve-server-key"};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (kTakesValue.contains(arg)) {
      ++i;
    } else if (!arg.starts_with('-')) {
      return std::string(arg);
    }
  }
  return "";
}

bool is_subcommand(std::string_view word) {
  return std::find(kSubcommands.begin(), kSubcommands.end(), word) != kSubcommands.end();
}

std::string subcommand_list() {
  std::string list;
  for (auto name : kSubcommands) list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

}  // namespace

int main(int argc, char** argv) {
  CommonOptions common;
  SelectionFlags selection;
  std::vector<std::string> bus_flag;
  std::string group;
  std::string function;
  std::string node;
  std::vector<std::string> call_args;
  std::optional<std::string> args_json;  // --args
  std::optional<std::string> args_file;  // --args-file
  std::size_t count = 1;
  bool all = false;
  std::size_t parallel = 8;

  // Configuration files give the defaults; environment and flags override them (parsed below).
  auto config = rpclb::cli::load_config();
  if (!config) return rpclb::cli::report(config.error(), false);
  std::vector<std::string> config_bus;
  for (const auto& entry : *config) {
    const auto& key = entry.first;  // named, not bound: lambdas capture them (clang 14)
    const auto& setting = entry.second;
    const auto& value = setting.value;
    auto fail = [&](const std::string& why) {
      return rpclb::cli::report({rpclb::ErrorCode::bad_request, setting.origin + ": " + key + ": " + why}, false);
    };
    if (key == "bus") {
      auto list = rpclb::split_endpoint_list(value);
      if (!list) return fail(list.error().message);
      for (const auto& endpoint : *list) {
        if (auto address = rpclb::bus_address(endpoint); !address) return fail(address.error().message);
      }
      config_bus = *list;
    } else if (key == "algorithm") {
      selection.algorithm = value;
      selection.algorithm_origin = setting.origin;
    } else if (key == "curve_secret") {
      common.curve_secret = value;
    } else if (key == "curve_server_key") {
      common.curve_server_key = value;
    } else {  // timeout_ms, bus_timeout_ms: the flags' ranges
      const std::uint32_t most = key == "timeout_ms" ? 86400000 : 600000;
      std::uint32_t number = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size() || number < 1 || number > most) {
        return fail("must be a whole number of ms from 1 to " + std::to_string(most) + ", got '" + value + "'");
      }
      (key == "timeout_ms" ? common.timeout_ms : common.bus_timeout_ms) = number;
    }
  }

  CLI::App app{"rpclb " RPCLB_VERSION ": discover, select and call members of rpclb load-balancer groups."};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--bus", bus_flag,
                 "Bus hub endpoint (repeatable; default $RPCLB_BUS, else " + std::string(rpclb::kDefaultBus) + ")")
      // One value per flag, so "--bus X -- ARGS" keeps "--" for the arguments.
      ->allow_extra_args(false);
  app.add_flag("--json", common.json, "Machine-readable output on stdout (and errors as JSON on stderr)");
  app.add_option("--timeout", common.timeout_ms, "Overall deadline in ms, discovery included")
      ->check(CLI::Range(1u, 86400000u))
      ->capture_default_str();
  app.add_option("--bus-timeout", common.bus_timeout_ms, "How long to wait for bus hubs, in ms")
      ->check(CLI::Range(1u, 600000u))
      ->capture_default_str();
  app.add_option("--curve-secret", common.curve_secret,
                 "This client's CURVE keypair file (default $RPCLB_CURVE_SECRET)")
      ->envname("RPCLB_CURVE_SECRET");
  app.add_option("--curve-server-key", common.curve_server_key,
                 "The cluster's CURVE public key file (default $RPCLB_CURVE_SERVER_KEY)")
      ->envname("RPCLB_CURVE_SERVER_KEY");
  app.set_version_flag("--version", RPCLB_VERSION);

  const std::string requested = requested_subcommand(argc, argv);
  if (!requested.empty() && !is_subcommand(requested)) {
    const bool json =
        std::any_of(argv + 1, argv + argc, [](const char* arg) { return std::string_view(arg) == "--json"; });
    return rpclb::cli::report(
        {rpclb::ErrorCode::bad_request, "unknown command '" + requested + "' (commands: " + subcommand_list() + ")"},
        json);
  }
  auto build = [&](std::string_view name) { return requested.empty() || requested == name; };

  bool watch = false;
  auto* members = app.add_subcommand("members", "List the members of GROUP, one per line");
  if (build("members")) {
    members->add_option("GROUP", group, "Load-balancer group")->required();
    members->add_flag("--watch", watch, "Print joins, updates (load, endpoint, weight) and leaves until interrupted");
    add_match(*members, selection);
  }

  auto* select = app.add_subcommand("select", "Choose member(s) of GROUP with the selection algorithm");
  if (build("select")) {
    select->add_option("GROUP", group, "Load-balancer group")->required();
    select->add_option("-n,--count", count, "How many distinct members")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
    add_selection(*select, selection);
  }

  auto* call = app.add_subcommand("call", "Call MODULE.FUNCTION on a member of GROUP; prints the JSON result");
  auto* cast = app.add_subcommand("cast", "Send MODULE.FUNCTION to a member of GROUP; returns once it is accepted");
  for (auto* command : {call, cast}) {
    if (!build(command->get_name())) continue;
    command->add_option("GROUP", group, "Load-balancer group")->required();
    command->add_option("FUNCTION", function, "MODULE.FUNCTION, e.g. sys.echo")->required();
    command->add_option(
        "ARG", call_args,
        "Arguments, each one value: JSON if it parses as JSON, else the string typed (use -- before -5)");
    command->add_option("--args", args_json, "All arguments as one JSON array, or - to read it from stdin");
    command->add_option("--args-file", args_file, "All arguments as one JSON array, read from FILE");
    add_selection(*command, selection);
    add_retries(*command, selection);
  }
  if (build("call")) {
    call->add_flag("--all", all, "Call every member (matching --match); one result per node");
    call->add_option("-n,--count", count, "Call this many distinct members chosen by the algorithm")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
    call->add_option("--parallel", parallel, "With --all or -n: calls in flight at once")
        ->check(CLI::Range(std::size_t{1}, std::size_t{256}))
        ->capture_default_str();
  }

  auto* groups = app.add_subcommand("groups", "List every group on the bus with its member count");
  auto* ping = app.add_subcommand("ping", "Round trip, load and version of each member of GROUP");
  if (build("ping")) {
    ping->add_option("GROUP", group, "Load-balancer group")->required();
    add_match(*ping, selection);
  }
  auto* status = app.add_subcommand("status", "Round trip, load and version of NODE");
  if (build("status")) status->add_option("NODE", node, "Node name")->required();

  auto* release = app.add_subcommand("release", "Tell the algorithm this caller is done with NODE");
  if (build("release")) {
    release->add_option("GROUP", group, "Load-balancer group")->required();
    release->add_option("NODE", node, "Node name")->required();
    add_selection(*release, selection);
  }

  std::string key_prefix;
  auto* keygen = app.add_subcommand("keygen", "Write a new CURVE keypair to PREFIX.key (private) and PREFIX.pub");
  if (build("keygen")) {
    keygen->add_option("PREFIX", key_prefix, "Path without extension, e.g. /etc/rpclb/cluster")->required();
  }

  const std::string config_algorithm = selection.algorithm;
  using AfterDoubleDash = rpclb::cli::VerbatimArgv::AfterDoubleDash;
  rpclb::cli::VerbatimArgv words(
      argc, argv,
      requested == "call" || requested == "cast" ? AfterDoubleDash::keep_as_arguments : AfterDoubleDash::parse);
  try {
    app.parse(words.argc(), words.argv());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return rpclb::cli::report({rpclb::ErrorCode::bad_request, words.restored_text(e.what()) + " (see rpclb --help)"},
                              common.json);
  }
  for (auto* text :
       {&group, &function, &node, &key_prefix, &selection.algorithm, &common.curve_secret, &common.curve_server_key}) {
    words.restore(*text);
  }
  for (auto* list : {&bus_flag, &call_args, &selection.opts, &selection.match}) words.restore(*list);
  const auto& verbatim = words.arguments_after_double_dash();
  call_args.insert(call_args.end(), verbatim.begin(), verbatim.end());
  for (auto* maybe : {&selection.key, &args_json, &args_file}) {
    if (*maybe) words.restore(**maybe);
  }
  if (selection.algorithm != config_algorithm) selection.algorithm_origin.clear();

  // --bus, else $RPCLB_BUS, else the config files, else the local default.
  const bool bus_from_config =
      bus_flag.empty() && !std::getenv(rpclb::kBusEnvironmentVariable.data()) && !config_bus.empty();
  auto bus = bus_from_config ? rpclb::Result<std::vector<std::string>>(config_bus)
                             : rpclb::resolve_bus(bus_flag, rpclb::kDefaultBus);
  if (!bus) return rpclb::cli::report(bus.error(), common.json);
  common.bus = std::move(bus).value();

  // The call's arguments, each one value exactly as given.
  auto call_arguments = [&]() -> rpclb::Result<rpclb::cli::CallArguments> {
    if (args_json || args_file) {
      if (!call_args.empty() || (args_json && args_file)) {
        return rpclb::make_error(rpclb::ErrorCode::bad_request,
                                 "give arguments one way: ARG..., --args or --args-file");
      }
      return args_json ? rpclb::cli::arguments_from_json(*args_json) : rpclb::cli::arguments_from_file(*args_file);
    }
    return rpclb::cli::arguments_from_words(call_args);
  };

  try {
    if (*members && watch) return rpclb::cli::watch_command(common, selection, group);
    if (*members) return rpclb::cli::members_command(common, selection, group);
    if (*select) return rpclb::cli::select_command(common, selection, group, count);
    if (*call || *cast) {
      auto arguments = call_arguments();
      if (!arguments) return rpclb::cli::report(arguments.error(), common.json);
      if (*call && (all || count > 1)) {
        return rpclb::cli::fan_out_command(common, selection, group, function, *arguments, all, count, parallel);
      }
      const auto mode = *cast ? rpclb::protocol::CallMode::cast : rpclb::protocol::CallMode::call;
      return rpclb::cli::call_command(common, selection, group, function, *arguments, mode);
    }
    if (*groups) return rpclb::cli::groups_command(common);
    if (*ping) return rpclb::cli::ping_command(common, selection, group);
    if (*status) return rpclb::cli::status_command(common, node);
    if (*release) return rpclb::cli::release_command(common, selection, group, node);
    if (*keygen) return rpclb::cli::keygen_command(common, key_prefix);
  } catch (const std::exception& e) {
    return rpclb::cli::report({rpclb::ErrorCode::internal, e.what()}, common.json);
  }
  return rpclb::cli::report({rpclb::ErrorCode::bad_request, "no subcommand"}, common.json);
}
