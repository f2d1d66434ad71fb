#include "cli/bus_answers.hpp"

#include <CLI/CLI.hpp>

#include <set>

#include "algorithms/registry.hpp"
#include "cli/options.hpp"
#include "common/bus_client.hpp"
#include "common/json_msgpack.hpp"
#include "lib/fan_out.hpp"

namespace rpclb::cli {

AskBus bus_answers(const CommonOptions& common, std::chrono::milliseconds bound) {
  return [&common, bound](const std::string& what) -> std::vector<std::string> {
    if (what == "algorithms") {
      const auto names = algorithms::algorithm_names();
      return {names.begin(), names.end()};
    }
    auto curve = client_curve(common);
    if (!curve) return {};
    const auto deadline = Clock::now() + bound;
    zmq::context_t context;
    const auto space = what.find(' ');
    const std::string question = what.substr(0, space);
    const std::string group = space == std::string::npos ? "" : what.substr(space + 1);
    auto members = fetch_members(context, group, discovery_until(common.bus, *curve, deadline, bound));
    if (!members || members->empty()) return {};
    std::set<std::string> out;
    if (question == "groups") {
      for (const auto& member : *members) out.insert(member.groups.begin(), member.groups.end());
    } else if (question == "members") {
      for (const auto& member : *members) out.insert(member.name);
    } else if (question == "functions") {
      FanOut ask;
      ask.function = "sys.functions";
      ask.args_msgpack = json_to_msgpack(nlohmann::json::array());
      ask.transport.deadline = deadline + bound;
      ask.transport.curve = *curve;
      auto answers = call_each(context, {members->front()}, ask);
      if (!answers.front()) return {};
      auto names = msgpack_to_json(answers.front()->value_msgpack);
      if (!names || !names->is_array()) return {};
      for (const auto& name : *names) {
        if (name.is_string()) out.insert(name.get<std::string>());
      }
    }
    return {out.begin(), out.end()};
  };
}

}  // namespace rpclb::cli
