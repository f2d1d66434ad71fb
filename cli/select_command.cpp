// rpclb select GROUP [-n COUNT] and rpclb release GROUP NODE, with the
// selection flags.
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace rpclb::cli {
namespace {

struct SelectOptions {
  std::string group;
  std::size_t count = 1;
  SelectionFlags selection;
};

int select_members(const CommonOptions& common, const SelectOptions& options) {
  auto balancer = make_balancer(common, options.selection, options.group);
  if (!balancer) return report(balancer.error(), common.json);
  auto chosen = balancer->select(options.count, deadline_for(common));
  if (!chosen) return report(chosen.error(), common.json);
  common.json ? print_members_json(*chosen) : print_member_names(*chosen);
  return kExitOk;
}

struct ReleaseOptions {
  std::string group;
  std::string node;
  SelectionFlags selection;
};

int release_member(const CommonOptions& common, const ReleaseOptions& options) {
  auto balancer = make_balancer(common, options.selection, options.group);
  if (!balancer) return report(balancer.error(), common.json);
  auto released = balancer->release(options.node);
  if (!released) return report(released.error(), common.json);
  // false: this caller had no outstanding selection of NODE in GROUP.
  if (common.json) print_json({{"node", options.node}, {"released", *released}});
  return kExitOk;
}

}  // namespace

Run setup_select(CLI::App& command, const CommonOptions& common) {
  auto options = std::make_shared<SelectOptions>();
  command.add_option("GROUP", options->group, "Load-balancer group")->required();
  command.add_option("-n,--count", options->count, "How many distinct members")->check(in_range(1, 100000));
  add_selection(command, common, options->selection);
  return [&common, options](const VerbatimArgv&) { return select_members(common, *options); };
}

Run setup_release(CLI::App& command, const CommonOptions& common) {
  auto options = std::make_shared<ReleaseOptions>();
  command.add_option("GROUP", options->group, "Load-balancer group")->required();
  command.add_option("NODE", options->node, "Node name")->required();
  add_selection(command, common, options->selection);
  return [&common, options](const VerbatimArgv&) { return release_member(common, *options); };
}

}  // namespace rpclb::cli
