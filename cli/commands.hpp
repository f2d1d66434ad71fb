// The `rpclb` subcommands, independent of argument parsing: each takes the
// parsed options, does its work through a Balancer, prints, and returns the
// process exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/call_arguments.hpp"
#include "common/protocol.hpp"
#include "rpclb/client.hpp"

namespace rpclb::cli {

struct CommonOptions {
  std::vector<std::string> bus;  // resolved: flag, else $RPCLB_BUS, else the default
  bool json = false;
  std::uint32_t timeout_ms = 10000;
  std::uint32_t bus_timeout_ms = 1000;
  std::string curve_secret;      // this client's keypair file; with curve_server_key, enables CURVE
  std::string curve_server_key;  // the cluster's public key file
};

struct SelectionFlags {
  std::string algorithm = kDefaultAlgorithm;
  std::string algorithm_origin;    // "FILE line N" when the algorithm came from a config file
  std::vector<std::string> opts;   // key=value
  std::vector<std::string> match;  // exact names or /regex/
  std::optional<std::string> key;
  std::uint32_t wait_for_member_ms = 0;
  std::uint32_t retries = 2;
  bool retry_on_timeout = false;
};

int members_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group);
int select_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                   std::size_t count);
int call_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                 const std::string& function, const CallArguments& args, protocol::CallMode mode);
// Writes PREFIX.key and PREFIX.pub.
int keygen_command(const CommonOptions& common, const std::string& prefix);
// Prints membership changes of GROUP until SIGINT/SIGTERM.
int watch_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group);
// Every group on the bus with its member count.
int groups_command(const CommonOptions& common);
// Round trip, load and version of each member of GROUP (`ping`), or of one node anywhere on the bus (`status`).
int ping_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group);
int status_command(const CommonOptions& common, const std::string& node);
// Fan-out: FUNCTION on every member (`all`) or on COUNT members chosen by the algorithm, `parallel` at a time.
int fan_out_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                    const std::string& function, const CallArguments& args, bool all, std::size_t count,
                    std::size_t parallel);
int release_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                    const std::string& node);

}  // namespace rpclb::cli
