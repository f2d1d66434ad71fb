// The option groups several `rpclb` subcommands share: the global flags
// (CommonOptions) and the selection flags (SelectionFlags), with the CLI11
// set-up for each and what they become (a Balancer, a deadline).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/verbatim_argv.hpp"
#include "common/curve.hpp"
#include "common/option_ranges.hpp"
#include "lib/balancer.hpp"
#include "rpclb/client.hpp"

namespace CLI {
class App;
class Validator;
}  // namespace CLI

namespace rpclb::cli {

// Flags before the subcommand, with the defaults config files give them.
struct CommonOptions {
  std::vector<std::string> bus_flags;   // --bus, as given
  std::vector<std::string> config_bus;  // bus = ... from a config file
  std::vector<std::string> bus;         // resolved: flags, else $RPCLB_BUS, else config, else the default
  bool json = false;
  std::uint32_t timeout_ms = 10000;
  std::uint32_t bus_timeout_ms = 1000;
  std::uint32_t connect_timeout_ms = static_cast<std::uint32_t>(kDefaultConnectTimeout.count());
  std::string curve_secret;      // this client's keypair file; with curve_server_key, enables CURVE
  std::string curve_server_key;  // the cluster's public key file
  // The default --algorithm, and where it came from ("FILE line N" when a
  // config file named it, so its error can say so).
  std::string algorithm = kDefaultAlgorithm;
  std::string algorithm_origin;
  // Plug-ins offering more algorithms: --algorithm-plugin, and those config
  // files name (algorithm_plugin = PATH), which load first.
  std::vector<std::string> algorithm_plugin_flags;
  std::vector<std::string> config_algorithm_plugins;
  // What this host's callers remember of failing members (FailureMemory).
  std::uint32_t eject_after_timeouts = FailureMemory{}.eject_after_timeouts;
  std::uint32_t eject_base_ms = static_cast<std::uint32_t>(FailureMemory{}.eject_base.count());
  std::uint32_t eject_max_ms = static_cast<std::uint32_t>(FailureMemory{}.eject_max.count());
  std::uint32_t max_ejected_percent = FailureMemory{}.max_ejected_percent;
  std::uint32_t retry_budget_percent = FailureMemory{}.retry_budget_percent;
  std::uint32_t retry_floor = FailureMemory{}.min_retries_per_second;
  std::uint32_t selection_ttl_s = static_cast<std::uint32_t>(FailureMemory{}.selection_ttl.count());
};

// A whole-number setting given as a flag before the subcommand or as a key in
// a config file, within the same range either way: the one rpclb::Client
// checks too (common/option_ranges.hpp).
struct WholeSetting {
  std::string_view flag;
  std::string_view key;
  std::uint32_t CommonOptions::*field;
  OptionRange range;
  std::string_view help;
};

inline constexpr std::array<WholeSetting, 7> kFailureMemorySettings{{
    {"--eject-after-timeouts", "eject_after_timeouts", &CommonOptions::eject_after_timeouts,
     client_ranges::kEjectAfterTimeouts, "Request timeouts in a row that eject a member from this host's selections"},
    {"--eject-base", "eject_base_ms", &CommonOptions::eject_base_ms, client_ranges::kEjectBaseMs,
     "A member's first ejection lasts this many ms; each further one (until it answers) twice the last"},
    {"--eject-max", "eject_max_ms", &CommonOptions::eject_max_ms, client_ranges::kEjectMaxMs,
     "The longest an ejection lasts, in ms"},
    {"--max-ejected-percent", "max_ejected_percent", &CommonOptions::max_ejected_percent,
     client_ranges::kMaxEjectedPercent,
     "Most of the members a selection considers that may be skipped as ejected (at least one, never all; 0: "
     "no ejection)"},
    {"--retry-budget", "retry_budget_percent", &CommonOptions::retry_budget_percent, client_ranges::kRetryBudgetPercent,
     "Retries by this host's callers of a group, as a percentage of its calls in the last 10 s (at least "
     "--retry-floor a second are always allowed)"},
    {"--retry-floor", "retry_floor", &CommonOptions::retry_floor, client_ranges::kMinRetriesPerSecond,
     "Retries a second this host's callers of a group may always make, whatever --retry-budget allows"},
    {"--selection-ttl", "selection_ttl_s", &CommonOptions::selection_ttl_s, client_ranges::kSelectionTtlS,
     "Seconds after which a selection nobody released stops counting"},
}};

struct SelectionFlags {
  std::string algorithm;
  std::string algorithm_origin;
  std::vector<std::string> opts;   // key=value
  std::vector<std::string> match;  // exact names or /regex/
  std::optional<std::string> key;
  std::uint32_t wait_for_member_ms = 0;
  std::uint32_t retries = 2;
  bool retry_on_timeout = false;
};

void add_common_flags(CLI::App& app, CommonOptions& common);
// CLI::Range(least, most) for a whole number: the same help text ("UINT in
// [least - most]") and error, without the std::stringstream CLI::Range builds
// (as does capture_default_str(): give default_str(std::to_string(...))
// instead). Those are a measurable share of a one-shot run's start-up.
CLI::Validator in_range(std::uint64_t least, std::uint64_t most);
inline CLI::Validator in_range(const OptionRange& range) {
  return in_range(range.low, range.high);
}
// Resolves common.bus once parsing is done.
Status resolve_bus(CommonOptions& common);

// --match only (members, ping); --algorithm, --opt, --key, --wait-for-member
// and --match (select, call, cast, release); --retries and --retry-on-timeout.
void add_match(CLI::App& command, SelectionFlags& flags);
void add_selection(CLI::App& command, const CommonOptions& common, SelectionFlags& flags);
void add_retries(CLI::App& command, SelectionFlags& flags);

Clock::time_point deadline_for(const CommonOptions& common);
// The plug-ins to load: the config files', then the flags' (each once).
std::vector<std::string> algorithm_plugins(const CommonOptions& common);
FailureMemory failure_memory(const CommonOptions& common);
Result<std::optional<CurveConfig>> client_curve(const CommonOptions& common);
// --trace and --request-id of call and cast (BalancerOptions: request_id,
// on_attempt).
struct CallTracing {
  std::string request_id;
  std::function<void(const AttemptReport&)> on_attempt;
};
Result<Balancer> make_balancer(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                               CallTracing tracing = {});

}  // namespace rpclb::cli
