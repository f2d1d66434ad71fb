// Commands about the bus and its members rather than a balancer's choice:
// rpclb groups, rpclb ping GROUP, rpclb status NODE.
#include <CLI/CLI.hpp>

#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/program_output.hpp"
#include "common/bus_client.hpp"
#include "common/json_msgpack.hpp"
#include "common/metric_families.hpp"
#include "lib/fan_out.hpp"

namespace rpclb::cli {
namespace {

// `groups`: each group with its member count.
void print_group_counts(const std::map<std::string, int>& counts, bool json) {
  if (json) {
    auto array = nlohmann::json::array();
    for (const auto& [group, count] : counts) array.push_back({{"group", group}, {"members", count}});
    print_json(array);
  } else {
    for (const auto& [group, count] : counts) std::printf("%s %d\n", group.c_str(), count);
  }
}

// sys.stats of each member: plain, one line per sample ("NODE name{labels}
// value"), failures on stderr; or a JSON array of {name, endpoint, metrics}
// or {name, endpoint, error}. Returns the exit code of the first failure.
int print_stats(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results, bool json) {
  auto array = nlohmann::json::array();
  int exit_code = kExitOk;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& name = members[i].name;
    nlohmann::json entry{{"name", name}, {"endpoint", members[i].endpoint}};
    auto families =
        results[i] ? unpack_families(results[i]->value_msgpack) : Result<std::vector<MetricFamily>>(results[i].error());
    if (!families) {
      entry["error"] = error_json(families.error());
      if (exit_code == kExitOk) exit_code = exit_code_for(families.error().code);
      if (!json) {
        std::fprintf(stderr, "rpclb: %s: %s: %s\n", name.c_str(), std::string(to_string(families.error().code)).c_str(),
                     families.error().message.c_str());
      }
    } else if (json) {
      auto metrics = msgpack_to_json(results[i]->value_msgpack);
      entry["metrics"] = metrics ? *metrics : nlohmann::json();
    } else {
      for (const auto& family : *families) {
        for (const auto& sample : family.samples) std::printf("%s %s\n", name.c_str(), sample_text(sample).c_str());
      }
    }
    array.push_back(std::move(entry));
  }
  if (json) print_json(array);
  return exit_code;
}

// `ping` and `status`: round trip, load and version of each member, or its error.
void print_pings(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results, bool json) {
  auto array = nlohmann::json::array();
  for (std::size_t i = 0; i < members.size(); ++i) {
    nlohmann::json line{{"name", members[i].name}, {"endpoint", members[i].endpoint}};
    if (results[i]) {
      auto info = msgpack_to_json(results[i]->value_msgpack);
      const double rtt_ms = static_cast<double>(results[i]->round_trip.count()) / 1000.0;
      line["rtt_ms"] = rtt_ms;
      line["in_flight"] = info ? (*info)["in_flight"] : nlohmann::json();
      line["version"] = info ? (*info)["version"] : nlohmann::json();
      line["uptime_ms"] = info ? (*info)["uptime_ms"] : nlohmann::json();
      if (!json) {
        std::printf("%s %.2f ms in_flight=%s version=%s\n", members[i].name.c_str(), rtt_ms,
                    line["in_flight"].dump().c_str(), line["version"].get<std::string>().c_str());
      }
    } else {
      const auto& error = results[i].error();
      line["error"] = error_json(error);
      if (!json) {
        std::printf("%s %s: %s\n", members[i].name.c_str(), std::string(to_string(error.code)).c_str(),
                    error.message.c_str());
      }
    }
    array.push_back(std::move(line));
  }
  if (json) print_json(array);
}

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

// `function`, without arguments, on each member at once.
std::vector<Result<CallOutcome>> ask_each(zmq::context_t& context, const RpcOptions& transport,
                                          const std::vector<Member>& members, const std::string& function) {
  return call_each(
      context, members,
      FanOut{function, json_to_msgpack(nlohmann::json::array()), transport, 16, protocol::CallMode::call, {}, {}});
}

// sys.info on each member, one line (or object) per member; the first failure's exit code.
int ping_nodes(const CommonOptions& common, zmq::context_t& context, const RpcOptions& transport,
               const std::vector<Member>& members) {
  const auto results = ask_each(context, transport, members, "sys.info");
  print_pings(members, results, common.json);
  return fan_out_exit_code(results);
}

// GROUP and --match: what ping and stats ask about.
struct GroupOptions {
  std::string group;
  SelectionFlags selection;  // --match only
};

// `function` on every member of the group that passes --match.
struct Answers {
  std::vector<Member> members;
  std::vector<Result<CallOutcome>> results;  // one per member
};
Result<Answers> ask_every_member(const CommonOptions& common, const GroupOptions& options,
                                 const std::string& function) {
  auto balancer = make_balancer(common, options.selection, options.group);
  if (!balancer) return balancer.error();
  const auto deadline = deadline_for(common);
  auto members = balancer->members(deadline);
  if (!members) return members.error();
  auto results = ask_each(balancer->context(), balancer->transport(deadline), *members, function);
  return Answers{std::move(members).value(), std::move(results)};
}

// sys.stats on every member of the group: the figures its /metrics serves.
int group_stats(const CommonOptions& common, const GroupOptions& options) {
  auto answers = ask_every_member(common, options, "sys.stats");
  if (!answers) return report(answers.error(), common.json);
  return print_stats(answers->members, answers->results, common.json);
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

int ping_group(const CommonOptions& common, const GroupOptions& options) {
  auto answers = ask_every_member(common, options, "sys.info");
  if (!answers) return report(answers.error(), common.json);
  print_pings(answers->members, answers->results, common.json);
  return fan_out_exit_code(answers->results);
}

int member_status(const CommonOptions& common, const std::string& member) {
  auto bus = bus_access(common);
  if (!bus) return report(bus.error(), common.json);
  auto members = fetch_members((*bus)->context, "", (*bus)->discovery);
  if (!members) return report(members.error(), common.json);
  std::erase_if(*members, [&](const Member& m) { return m.name != member; });
  if (members->empty()) {
    return report({ErrorCode::service_unavailable, "no node named " + member + " on the bus"}, common.json);
  }
  return ping_nodes(common, (*bus)->context, (*bus)->transport, *members);
}

// GROUP and --match, then `query` with them (ping, stats).
Run setup_group_query(CLI::App& command, const CommonOptions& common,
                      int (*query)(const CommonOptions&, const GroupOptions&)) {
  auto options = std::make_shared<GroupOptions>();
  command.add_option("GROUP", options->group, "Load-balancer group")->required();
  add_match(command, options->selection);
  return [&common, options, query](const VerbatimArgv&) { return query(common, *options); };
}

}  // namespace

Run setup_groups(CLI::App&, const CommonOptions& common) {
  return [&common](const VerbatimArgv&) { return list_groups(common); };
}

Run setup_ping(CLI::App& command, const CommonOptions& common) {
  return setup_group_query(command, common, ping_group);
}

Run setup_stats(CLI::App& command, const CommonOptions& common) {
  return setup_group_query(command, common, group_stats);
}

Run setup_status(CLI::App& command, const CommonOptions& common) {
  auto member = std::make_shared<std::string>();
  command.add_option("NODE", *member, "Node name")->required();
  return [&common, member](const VerbatimArgv&) { return member_status(common, *member); };
}

}  // namespace rpclb::cli
