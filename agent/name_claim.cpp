#include "agent/name_claim.hpp"

#include <algorithm>
#include <random>

#include "common/bus_client.hpp"
#include "common/rpc_client.hpp"

namespace rpclb::agent {
namespace {

// How long the hubs, and then the holder of the name, get to answer: an
// agent's start waits at most for both.
constexpr std::chrono::milliseconds kHubWait{1000};
constexpr std::chrono::milliseconds kHolderWait{1000};

// Whether `holder` answers a call addressed to it: only then is it alive and
// the name taken.
bool answers(zmq::context_t& context, const protocol::MemberInfo& holder, const AgentConfig& config) {
  protocol::CallRequest ping{std::random_device{}(),
                             protocol::CallMode::call,
                             "sys.info",
                             {},
                             static_cast<std::uint32_t>(kHolderWait.count()),
                             holder.name,
                             holder.instance};
  RpcOptions options;
  options.deadline = Clock::now() + kHolderWait;
  options.curve = config.curve;
  auto reply = exchange(context, holder.endpoint, ping, options);
  return reply && reply->kind == protocol::CallReply::Kind::result;
}

}  // namespace

Result<NameClaim> claim_name(zmq::context_t& context, const AgentConfig& config, const std::string& instance,
                             const Logger& log, bool own_hub_too) {
  std::vector<std::string> hubs = config.bus;
  if (config.serve_bus && !own_hub_too) std::erase(hubs, *config.serve_bus);
  if (hubs.empty()) return NameClaim{};
  auto everyone = fetch_members(context, "", discovery_until(hubs, config.curve, Clock::now() + kHubWait, kHubWait));
  if (!everyone) return NameClaim{};
  const auto holder = std::find_if(everyone->begin(), everyone->end(),
                                   [&](const protocol::MemberInfo& m) { return m.name == config.name; });
  if (holder == everyone->end()) return NameClaim{};
  if (holder->instance == instance) return NameClaim{NameClaim::Outcome::ours, {}};
  if (answers(context, *holder, config)) {
    return make_error(ErrorCode::bad_request, "name " + config.name + " is taken on the bus by a live agent at " +
                                                  holder->endpoint + " (instance " + holder->instance +
                                                  "): give this one another --name, or stop that one first");
  }
  log.info("replacing", {{"instance", holder->instance}, {"endpoint", holder->endpoint}});
  return NameClaim{NameClaim::Outcome::replaces, holder->instance};
}

}  // namespace rpclb::agent
