// Commands about the bus and its nodes rather than a balancer's choice:
// rpclb groups, rpclb ping GROUP, rpclb status NODE.
#include <CLI/CLI.hpp>

#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "common/bus_client.hpp"
#include "common/json_msgpack.hpp"
#include "lib/fan_out.hpp"

namespace rpclb::cli {
namespace {

// groups and status have no group to balance: they ask the hubs and the
// members directly.
struct BusAccess {
  zmq::context_t context;
  DiscoveryOptions discovery;
  RpcOptions transport;
};

Result<std::unique_ptr<BusAccess>> bus_access(const CommonOptions& common) {
  auto curve = client_curve(common);
  if (!curve) return curve.error();
  auto access = std::make_unique<BusAccess>();
  const auto deadline = deadline_for(common);
  access->discovery = discovery_until(common.bus, *curve, deadline, std::chrono::milliseconds(common.bus_timeout_ms));
  access->transport.deadline = deadline;
  access->transport.connect_timeout = std::chrono::milliseconds(common.connect_timeout_ms);
  access->transport.curve = *curve;
  return access;
}

// sys.info on each node, one line (or object) per node; the first failure's exit code.
int ping_nodes(const CommonOptions& common, zmq::context_t& context, const RpcOptions& transport,
               const std::vector<protocol::MemberInfo>& nodes) {
  const auto results = call_each(
      context, nodes,
      FanOut{"sys.info", json_to_msgpack(nlohmann::json::array()), transport, 16, protocol::CallMode::call, {}});
  print_pings(nodes, results, common.json);
  return first_failure(results);
}

struct StatsOptions {
  std::string group;
  SelectionFlags selection;  // --match only
};

// sys.stats on every member of the group: the figures its /metrics serves.
int group_stats(const CommonOptions& common, const StatsOptions& options) {
  auto balancer = make_balancer(common, options.selection, options.group);
  if (!balancer) return report(balancer.error(), common.json);
  const auto deadline = deadline_for(common);
  auto members = balancer->members(deadline);
  if (!members) return report(members.error(), common.json);
  const auto results = call_each(balancer->context(), *members,
                                 FanOut{"sys.stats",
                                        json_to_msgpack(nlohmann::json::array()),
                                        balancer->transport(deadline),
                                        16,
                                        protocol::CallMode::call,
                                        {}});
  return print_stats(*members, results, common.json);
}

int list_groups(const CommonOptions& common) {
  auto bus = bus_access(common);
  if (!bus) return report(bus.error(), common.json);
  auto members = fetch_members((*bus)->context, "", (*bus)->discovery);
  if (!members) return report(members.error(), common.json);
  std::map<std::string, int> counts;
  for (const auto& member : *members) {
    for (const auto& group : member.groups) ++counts[group];
  }
  print_group_counts(counts, common.json);
  return kExitOk;
}

struct PingOptions {
  std::string group;
  SelectionFlags selection;  // --match only
};

int ping_group(const CommonOptions& common, const PingOptions& options) {
  auto balancer = make_balancer(common, options.selection, options.group);
  if (!balancer) return report(balancer.error(), common.json);
  const auto deadline = deadline_for(common);
  auto members = balancer->members(deadline);
  if (!members) return report(members.error(), common.json);
  return ping_nodes(common, balancer->context(), balancer->transport(deadline), *members);
}

int node_status(const CommonOptions& common, const std::string& node) {
  auto bus = bus_access(common);
  if (!bus) return report(bus.error(), common.json);
  auto members = fetch_members((*bus)->context, "", (*bus)->discovery);
  if (!members) return report(members.error(), common.json);
  std::erase_if(*members, [&](const protocol::MemberInfo& m) { return m.name != node; });
  if (members->empty()) {
    return report({ErrorCode::service_unavailable, "no node named " + node + " on the bus"}, common.json);
  }
  return ping_nodes(common, (*bus)->context, (*bus)->transport, *members);
}

}  // namespace

Run setup_groups(CLI::App&, const CommonOptions& common) {
  return [&common](const VerbatimArgv&) { return list_groups(common); };
}

Run setup_ping(CLI::App& command, const CommonOptions& common) {
  auto options = std::make_shared<PingOptions>();
  command.add_option("GROUP", options->group, "Load-balancer group")->required();
  add_match(command, options->selection);
  return [&common, options](const VerbatimArgv& words) {
    words.restore(options->group);
    restore(words, options->selection);
    return ping_group(common, *options);
  };
}

Run setup_stats(CLI::App& command, const CommonOptions& common) {
  auto options = std::make_shared<StatsOptions>();
  command.add_option("GROUP", options->group, "Load-balancer group")->required();
  add_match(command, options->selection);
  return [&common, options](const VerbatimArgv& words) {
    words.restore(options->group);
    restore(words, options->selection);
    return group_stats(common, *options);
  };
}

Run setup_status(CLI::App& command, const CommonOptions& common) {
  auto node = std::make_shared<std::string>();
  command.add_option("NODE", *node, "Node name")->required();
  return [&common, node](const VerbatimArgv& words) {
    words.restore(*node);
    return node_status(common, *node);
  };
}

}  // namespace rpclb::cli
