// The `rpclb` subcommands, in CLI11's subcommand style: each has its own
// options struct and a setup function that adds those options to its CLI11
// subcommand and returns what main() calls once parsing is done. Each does
// its work through the library (a Balancer, fan-out, the bus client), prints
// through output.hpp, and returns the process exit code.
#pragma once

#include <functional>
#include <span>
#include <string_view>

#include "cli/options.hpp"
#include "cli/verbatim_argv.hpp"

namespace rpclb::cli {

// Runs a parsed subcommand; `words` puts back what was typed (VerbatimArgv).
using Run = std::function<int(const VerbatimArgv& words)>;
using Setup = Run (*)(CLI::App& command, const CommonOptions& common);

struct Subcommand {
  std::string_view name;
  std::string_view description;
  Setup setup;
  // call and cast take every word after "--" as an argument.
  VerbatimArgv::AfterDoubleDash after_double_dash = VerbatimArgv::AfterDoubleDash::parse;
};

// Every subcommand, in the order --help lists them.
std::span<const Subcommand> subcommands();

// One file each: members_command.cpp (members, members --watch),
// select_command.cpp (select, release), call_command.cpp (call, cast, and
// their fan-out), bus_commands.cpp (groups, ping, status), keygen_command.cpp.
Run setup_members(CLI::App& command, const CommonOptions& common);
Run setup_select(CLI::App& command, const CommonOptions& common);
Run setup_call(CLI::App& command, const CommonOptions& common);
Run setup_cast(CLI::App& command, const CommonOptions& common);
Run setup_release(CLI::App& command, const CommonOptions& common);
Run setup_keygen(CLI::App& command, const CommonOptions& common);
Run setup_groups(CLI::App& command, const CommonOptions& common);
Run setup_ping(CLI::App& command, const CommonOptions& common);
Run setup_status(CLI::App& command, const CommonOptions& common);
Run setup_stats(CLI::App& command, const CommonOptions& common);

}  // namespace rpclb::cli
