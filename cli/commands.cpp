#include "cli/commands.hpp"

#include <array>

namespace rpclb::cli {

std::span<const Subcommand> subcommands() {
  using AfterDoubleDash = VerbatimArgv::AfterDoubleDash;
  static constexpr std::array<Subcommand, 10> kAll{{
      {"members", "List the members of GROUP, one per line", setup_members},
      {"select", "Choose member(s) of GROUP with the selection algorithm", setup_select},
      {"call", "Call MODULE.FUNCTION on a member of GROUP; prints the JSON result", setup_call,
       AfterDoubleDash::keep_as_arguments},
      {"cast", "Send MODULE.FUNCTION to a member of GROUP; returns once it is accepted", setup_cast,
       AfterDoubleDash::keep_as_arguments},
      {"release", "Tell the algorithm this caller is done with NODE", setup_release},
      {"keygen", "Write a new CURVE keypair to PREFIX.key (private) and PREFIX.pub", setup_keygen},
      {"groups", "List every group on the bus with its member count", setup_groups},
      {"ping", "Round trip, load and version of each member of GROUP", setup_ping},
      {"status", "Round trip, load and version of NODE", setup_status},
      {"stats", "Each member's metrics (calls, latency, queue, bus events), as its /metrics shows them", setup_stats},
  }};
  return kAll;
}

}  // namespace rpclb::cli
