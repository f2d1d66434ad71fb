#include "cli/commands.hpp"

#include "algorithms/registry.hpp"
#include "cli/output.hpp"
#include "common/bus_client.hpp"
#include "common/group_watcher.hpp"
#include "common/json_msgpack.hpp"
#include "common/signals.hpp"
#include "lib/balancer.hpp"
#include "lib/fan_out.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>

namespace rpclb::cli {
namespace {

Result<algorithms::AlgorithmOptions> parse_opts(const std::vector<std::string>& pairs) {
  algorithms::AlgorithmOptions options;
  for (const auto& pair : pairs) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      return make_error(ErrorCode::bad_request, "--opt takes key=value, got '" + pair + "'");
    }
    options[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  return options;
}

Result<std::optional<CurveConfig>> client_curve(const CommonOptions& common) {
  return load_client_curve(common.curve_secret, common.curve_server_key, "--curve-secret and --curve-server-key");
}

Result<Balancer> make_balancer(const CommonOptions& common, const SelectionFlags& selection, const std::string& group) {
  // An algorithm named by a config file: its error names the file and line.
  if (!selection.algorithm_origin.empty()) {
    if (auto named = algorithms::make_algorithm(selection.algorithm, {}); !named) {
      return make_error(ErrorCode::bad_request, selection.algorithm_origin + ": algorithm: " + named.error().message);
    }
  }
  auto opts = parse_opts(selection.opts);
  if (!opts) return opts.error();
  auto curve = client_curve(common);
  if (!curve) return curve.error();
  BalancerOptions options;
  options.curve = *curve;
  options.bus = common.bus;
  options.group = group;
  options.algorithm = selection.algorithm;
  options.algorithm_options = std::move(opts).value();
  options.match = selection.match;
  options.key = selection.key;
  options.bus_timeout = std::chrono::milliseconds(common.bus_timeout_ms);
  options.wait_for_member = std::chrono::milliseconds(selection.wait_for_member_ms);
  options.retries = selection.retries;
  options.retry_on_timeout = selection.retry_on_timeout;
  return Balancer::create(std::move(options));
}

// For commands that choose nothing (members, ping, watch): the algorithm a
// config file names is not theirs to judge.
SelectionFlags match_only(const SelectionFlags& selection) {
  SelectionFlags flags;
  flags.match = selection.match;
  flags.wait_for_member_ms = selection.wait_for_member_ms;
  return flags;
}

Clock::time_point deadline_for(const CommonOptions& common) {
  return Clock::now() + std::chrono::milliseconds(common.timeout_ms);
}

// Commands about the whole bus (groups, status) have no group to balance:
// they ask the hubs and the members directly.
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
  access->discovery.bus = common.bus;
  access->discovery.deadline = std::min(deadline, Clock::now() + std::chrono::milliseconds(common.bus_timeout_ms));
  access->discovery.curve = *curve;
  access->transport.deadline = deadline;
  access->transport.curve = *curve;
  return access;
}

}  // namespace

int members_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group) {
  auto balancer = make_balancer(common, match_only(selection), group);
  if (!balancer) return report(balancer.error(), common.json);
  auto members = balancer->members(deadline_for(common));
  if (!members) return report(members.error(), common.json);
  common.json ? print_members_json(*members) : print_member_names(*members);
  return kExitOk;
}

int select_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                   std::size_t count) {
  auto balancer = make_balancer(common, selection, group);
  if (!balancer) return report(balancer.error(), common.json);
  auto chosen = balancer->select(count, deadline_for(common));
  if (!chosen) return report(chosen.error(), common.json);
  common.json ? print_members_json(*chosen) : print_member_names(*chosen);
  return kExitOk;
}

int call_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                 const std::string& function, const CallArguments& args, protocol::CallMode mode) {
  auto balancer = make_balancer(common, selection, group);
  if (!balancer) return report(balancer.error(), common.json);
  auto outcome = balancer->call(function, args.msgpack, mode, deadline_for(common));
  if (!outcome) return report(outcome.error(), common.json);

  if (mode == protocol::CallMode::cast) {
    common.json ? print_json({{"node", outcome->node.name}, {"accepted", true}}) : print_member_names({outcome->node});
    return kExitOk;
  }
  auto value = msgpack_to_json(outcome->value_msgpack);
  if (!value) return report({ErrorCode::internal, "agent returned an unreadable result"}, common.json);
  common.json ? print_json({{"node", outcome->node.name}, {"result", *value}}) : print_json(*value);
  return kExitOk;
}

int keygen_command(const CommonOptions& common, const std::string& prefix) {
  auto keys = generate_keypair();
  if (!keys) return report(keys.error(), common.json);
  if (auto written = write_keypair(prefix, *keys); !written) return report(written.error(), common.json);
  if (common.json) {
    print_json({{"secret_file", prefix + ".key"}, {"public_file", prefix + ".pub"}, {"public", keys->public_key}});
  } else {
    std::printf("%s.key\n%s.pub\n", prefix.c_str(), prefix.c_str());
  }
  return kExitOk;
}

int watch_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group) {
  // SIGINT/SIGTERM arrive on a descriptor the watch polls, so the command
  // ends cleanly with exit code 0. Made before any socket exists, so
  // ZeroMQ's threads inherit the blocked mask.
  SignalFd interrupted;
  auto balancer = make_balancer(common, match_only(selection), group);
  if (!balancer) return report(balancer.error(), common.json);
  auto watched = watch_group(balancer->context(), group, balancer->filter(), balancer->discovery(deadline_for(common)),
                             interrupted, [&](std::string_view event, const protocol::MemberInfo& member) {
                               if (common.json) {
                                 print_json({{"event", event}, {"member", member_json(member)}});
                               } else {
                                 std::printf("%.*s %s endpoint=%s load=%u weight=%u\n", static_cast<int>(event.size()),
                                             event.data(), member.name.c_str(), member.endpoint.c_str(), member.load,
                                             member.weight);
                               }
                               std::fflush(stdout);  // one event per line, as it happens, even into a pipe
                             });
  if (!watched) return report(watched.error(), common.json);
  return kExitOk;
}

int groups_command(const CommonOptions& common) {
  auto bus = bus_access(common);
  if (!bus) return report(bus.error(), common.json);
  auto members = fetch_members((*bus)->context, "", (*bus)->discovery);
  if (!members) return report(members.error(), common.json);
  std::map<std::string, int> counts;
  for (const auto& member : *members) {
    for (const auto& group : member.groups) ++counts[group];
  }
  if (common.json) {
    auto array = nlohmann::json::array();
    for (const auto& [group, count] : counts) array.push_back({{"group", group}, {"members", count}});
    print_json(array);
  } else {
    for (const auto& [group, count] : counts) std::printf("%s %d\n", group.c_str(), count);
  }
  return kExitOk;
}

namespace {

// Calls sys.info on each node and prints one line (or object) per node;
// exits with the first failure's code.
int ping_nodes(const CommonOptions& common, zmq::context_t& context, const RpcOptions& transport,
               const std::vector<protocol::MemberInfo>& nodes) {
  const auto results =
      call_each(context, nodes, FanOut{"sys.info", json_to_msgpack(nlohmann::json::array()), transport, 16});
  int exit_code = kExitOk;
  auto array = nlohmann::json::array();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    nlohmann::json line{{"name", nodes[i].name}, {"endpoint", nodes[i].endpoint}};
    if (results[i]) {
      auto info = msgpack_to_json(results[i]->value_msgpack);
      const double rtt_ms = static_cast<double>(results[i]->round_trip.count()) / 1000.0;
      line["rtt_ms"] = rtt_ms;
      line["in_flight"] = info ? (*info)["in_flight"] : nlohmann::json();
      line["version"] = info ? (*info)["version"] : nlohmann::json();
      line["uptime_ms"] = info ? (*info)["uptime_ms"] : nlohmann::json();
      if (!common.json) {
        std::printf("%s %.2f ms in_flight=%s version=%s\n", nodes[i].name.c_str(), rtt_ms,
                    line["in_flight"].dump().c_str(), line["version"].get<std::string>().c_str());
      }
    } else {
      const auto& error = results[i].error();
      line["error"] = error_json(error);
      if (exit_code == kExitOk) exit_code = exit_code_for(error.code);
      if (!common.json) {
        std::printf("%s %s: %s\n", nodes[i].name.c_str(), std::string(to_string(error.code)).c_str(),
                    error.message.c_str());
      }
    }
    array.push_back(std::move(line));
  }
  if (common.json) print_json(array);
  return exit_code;
}

}  // namespace

int ping_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group) {
  auto balancer = make_balancer(common, match_only(selection), group);
  if (!balancer) return report(balancer.error(), common.json);
  const auto deadline = deadline_for(common);
  auto members = balancer->members(deadline);
  if (!members) return report(members.error(), common.json);
  return ping_nodes(common, balancer->context(), balancer->transport(deadline), *members);
}

int status_command(const CommonOptions& common, const std::string& node) {
  auto bus = bus_access(common);
  if (!bus) return report(bus.error(), common.json);
  auto members = fetch_members((*bus)->context, "", (*bus)->discovery);
  if (!members) return report(members.error(), common.json);
  std::erase_if(*members, [&](const protocol::MemberInfo& m) { return m.name != node; });
  if (members->empty())
    return report({ErrorCode::service_unavailable, "no node named " + node + " on the bus"}, common.json);
  return ping_nodes(common, (*bus)->context, (*bus)->transport, *members);
}

int fan_out_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                    const std::string& function, const CallArguments& args, bool all, std::size_t count,
                    std::size_t parallel) {
  if (!protocol::is_valid_function_name(function)) {
    return report({ErrorCode::bad_request, "function must be MODULE.FUNCTION, got '" + function + "'"}, common.json);
  }
  auto balancer = make_balancer(common, selection, group);
  if (!balancer) return report(balancer.error(), common.json);
  const auto deadline = deadline_for(common);
  auto nodes = all ? balancer->members(deadline) : balancer->select(count, deadline);
  if (!nodes) return report(nodes.error(), common.json);
  const auto results =
      call_each(balancer->context(), *nodes, FanOut{function, args.msgpack, balancer->transport(deadline), parallel});
  int exit_code = kExitOk;
  auto array = nlohmann::json::array();
  for (std::size_t i = 0; i < nodes->size(); ++i) {
    const auto& name = (*nodes)[i].name;
    nlohmann::json line{{"node", name}};
    if (results[i]) {
      auto value = msgpack_to_json(results[i]->value_msgpack);
      line["result"] = value ? *value : nlohmann::json();
    } else {
      const auto& error = results[i].error();
      line["error"] = error_json(error);
      if (exit_code == kExitOk) exit_code = exit_code_for(error.code);
    }
    if (!common.json) {
      const auto shown = line.contains("result") ? line["result"] : line["error"];
      std::printf("%s\t%s\n", name.c_str(),
                  shown.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
    array.push_back(std::move(line));
  }
  if (common.json) print_json(array);
  return exit_code;
}

int release_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                    const std::string& node) {
  auto balancer = make_balancer(common, selection, group);
  if (!balancer) return report(balancer.error(), common.json);
  auto released = balancer->release(node);
  if (!released) return report(released.error(), common.json);
  // false: this caller had no outstanding selection of NODE in GROUP.
  if (common.json) print_json({{"node", node}, {"released", *released}});
  return kExitOk;
}

}  // namespace rpclb::cli
