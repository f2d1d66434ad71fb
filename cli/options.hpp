// The option groups several `rpclb` subcommands share: the global flags
// (CommonOptions) and the selection flags (SelectionFlags), with the CLI11
// set-up for each and what they become (a Balancer, a deadline).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/verbatim_argv.hpp"
#include "common/curve.hpp"
#include "lib/balancer.hpp"
#include "rpclb/client.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace rpclb::cli {

// The most --timeout, --bus-timeout and --connect-timeout (and their _ms keys
// in a config file) accept, in ms.
inline constexpr std::uint32_t kMaxTimeoutMs = 86'400'000;
inline constexpr std::uint32_t kMaxBusTimeoutMs = 600'000;
inline constexpr std::uint32_t kMaxConnectTimeoutMs = 60'000;

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
};

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
// Resolves common.bus once parsing is done.
Status resolve_bus(CommonOptions& common);

// --match only (members, ping); --algorithm, --opt, --key, --wait-for-member
// and --match (select, call, cast, release); --retries and --retry-on-timeout.
void add_match(CLI::App& command, SelectionFlags& flags);
void add_selection(CLI::App& command, const CommonOptions& common, SelectionFlags& flags);
void add_retries(CLI::App& command, SelectionFlags& flags);
void restore(const VerbatimArgv& words, SelectionFlags& flags);

Clock::time_point deadline_for(const CommonOptions& common);
Result<std::optional<CurveConfig>> client_curve(const CommonOptions& common);
Result<Balancer> make_balancer(const CommonOptions& common, const SelectionFlags& selection, const std::string& group);

}  // namespace rpclb::cli
