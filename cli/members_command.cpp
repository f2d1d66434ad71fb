// rpclb members GROUP [--watch] [--match ...]
#include <signal.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "common/group_watcher.hpp"
#include "common/signals.hpp"

namespace rpclb::cli {
namespace {

// `members --json`: each member with what this host remembers of it (its
// unreleased selections; whether it is ejected, and until when).
void print_remembered_members_json(const std::vector<Member>& members, const Remembered& remembered) {
  const auto now = state::wall_now();
  auto array = nlohmann::json::array();
  for (const auto& member : members) {
    auto line = member_json(member);
    auto outstanding = remembered.outstanding.find(member.name);
    line["outstanding"] = outstanding == remembered.outstanding.end() ? 0 : outstanding->second;
    auto ejected = remembered.ejected_until.find(member.name);
    line["ejected"] = ejected != remembered.ejected_until.end();
    if (ejected != remembered.ejected_until.end()) {
      line["ejected_until"] = utc_timestamp(ejected->second);
      line["ejected_for_ms"] = std::max<std::int64_t>(0, ejected->second - now);
    }
    array.push_back(std::move(line));
  }
  print_json(array);
}

// `members --watch`: one line (or object) per event, flushed as it happens.
void print_watch_event(std::string_view event, const Member& member, bool json) {
  if (json) {
    print_json({{"event", event}, {"member", member_json(member)}});
  } else {
    std::printf("%.*s %s endpoint=%s load=%u weight=%u\n", static_cast<int>(event.size()), event.data(),
                member.name.c_str(), member.endpoint.c_str(), member.load, member.weight);
  }
  // One event per line, as it happens, even into a pipe. Output that cannot
  // be written (a full disk) ends the watch as SIGTERM would: its signal is
  // read by the watch's own SignalFd, and the failed write is then reported
  // (exit 1) as for any command.
  if (!flush_stdout()) ::raise(SIGTERM);
}

struct MembersOptions {
  std::string group;
  bool watch = false;
  SelectionFlags selection;  // --match only
};

int list_members(const CommonOptions& common, const MembersOptions& options) {
  auto balancer = make_balancer(common, options.selection, options.group);
  if (!balancer) return report(balancer.error(), common.json);
  auto members = balancer->members(deadline_for(common));
  if (!members) return report(members.error(), common.json);
  if (!common.json) {
    print_member_names(*members);
    return kExitOk;
  }
  // What this host remembers is extra: without a usable state folder the
  // members are still listed, and the reason is said.
  auto remembered = balancer->remembered();
  if (!remembered) {
    note("this host's failure memory is not shown: " + remembered.error().message);
    print_members_json(*members);
    return kExitOk;
  }
  print_remembered_members_json(*members, *remembered);
  return kExitOk;
}

// Prints membership changes of GROUP until SIGINT/SIGTERM.
int watch_members(const CommonOptions& common, const MembersOptions& options) {
  // SIGINT/SIGTERM arrive on a descriptor the watch polls, so the command
  // ends cleanly with exit code 0. Made before any socket exists, so
  // ZeroMQ's threads inherit the blocked mask.
  SignalFd interrupted;
  ::signal(SIGPIPE, SIG_DFL);  // a closed pipe (`| head -3`) ends it quietly, as other tools
  auto balancer = make_balancer(common, options.selection, options.group);
  if (!balancer) return report(balancer.error(), common.json);
  auto watched = watch_group(
      balancer->context(), options.group, balancer->filter(), balancer->discovery(deadline_for(common)), interrupted,
      [&](std::string_view event, const Member& member) { print_watch_event(event, member, common.json); },
      [](const std::string& notice) { note(notice); });
  if (!watched) return report(watched.error(), common.json);
  return kExitOk;
}

}  // namespace

Run setup_members(CLI::App& command, const CommonOptions& common) {
  auto options = std::make_shared<MembersOptions>();
  command.add_option("GROUP", options->group, "Load-balancer group")->required();
  command.add_flag("--watch", options->watch,
                   "Print joins, updates (load, endpoint, weight) and leaves until interrupted");
  add_match(command, options->selection);
  return [&common, options](const VerbatimArgv&) {
    return options->watch ? watch_members(common, *options) : list_members(common, *options);
  };
}

}  // namespace rpclb::cli
