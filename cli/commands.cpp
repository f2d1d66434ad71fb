#include "cli/commands.hpp"

#include "cli/balancer.hpp"
#include "cli/output.hpp"
#include "common/json_msgpack.hpp"

#include <cstdio>

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

Result<std::optional<CurveConfig>> curve_config(const CommonOptions& common) {
  if (common.curve_secret.empty() && common.curve_server_key.empty()) return std::optional<CurveConfig>{};
  if (common.curve_secret.empty() || common.curve_server_key.empty()) {
    return make_error(ErrorCode::bad_request, "--curve-secret and --curve-server-key go together");
  }
  auto own = load_keypair(common.curve_secret);
  if (!own) return own.error();
  auto server = load_public_key(common.curve_server_key);
  if (!server) return server.error();
  return std::optional<CurveConfig>{CurveConfig{*own, *server, {}}};
}

Result<Balancer> make_balancer(const CommonOptions& common, const SelectionFlags& selection, const std::string& group) {
  auto opts = parse_opts(selection.opts);
  if (!opts) return opts.error();
  auto curve = curve_config(common);
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

Clock::time_point deadline_for(const CommonOptions& common) {
  return Clock::now() + std::chrono::milliseconds(common.timeout_ms);
}

}  // namespace

int members_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group) {
  auto balancer = make_balancer(common, selection, group);
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
                 const std::string& function, const std::vector<std::string>& args, bool cast) {
  auto balancer = make_balancer(common, selection, group);
  if (!balancer) return report(balancer.error(), common.json);
  auto arg_values = nlohmann::json::array();
  for (const auto& arg : args) arg_values.push_back(parse_cli_argument(arg));
  const auto mode = cast ? protocol::CallMode::cast : protocol::CallMode::call;
  auto outcome = balancer->call(function, json_to_msgpack(arg_values), mode, deadline_for(common));
  if (!outcome) return report(outcome.error(), common.json);

  if (cast) {
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

int release_command(const CommonOptions& common, const SelectionFlags& selection, const std::string& group,
                    const std::string& node) {
  auto balancer = make_balancer(common, selection, group);
  if (!balancer) return report(balancer.error(), common.json);
  if (auto released = balancer->release(node); !released) return report(released.error(), common.json);
  if (common.json) print_json({{"node", node}, {"released", true}});
  return kExitOk;
}

}  // namespace rpclb::cli
