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
bool answers(zmq::context_t& context, const Member& holder, const AgentConfig& config) {
  protocol::CallRequest ping{std::random_device{}(),
                             protocol::CallMode::call,
                             "sys.info",
                             {},
                             static_cast<std::uint32_t>(kHolderWait.count()),
                             {},
                             {},
                             {},
                             {}};
  protocol::address_to(ping, holder);
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
  // One group's members, not the whole bus: when a fleet restarts, each agent
  // asks, and a whole snapshot can be megabytes. A holder of our name that
  // shares none of our first group is not seen: the hubs still refuse us, we
  // never see ourselves listed, and say so after kAttempts (name_unchecked).
  auto group = fetch_members(context, config.groups.front(),
                             discovery_until(hubs, config.curve, Clock::now() + kHubWait, kHubWait));
  if (!group) return NameClaim{};
  const auto holder =
      std::find_if(group->begin(), group->end(), [&](const Member& m) { return m.name == config.name; });
  if (holder == group->end()) return NameClaim{};
  if (holder->instance == instance) return NameClaim{NameClaim::Outcome::ours, {}};
  if (answers(context, *holder, config)) {
    return make_error(ErrorCode::bad_request, "name " + config.name + " is taken on the bus by a live agent at " +
                                                  holder->endpoint + " (instance " + holder->instance +
                                                  "): give this one another --name, or stop that one first");
  }
  log.info("replacing", {{"instance", holder->instance}, {"endpoint", holder->endpoint}});
  return NameClaim{NameClaim::Outcome::replaces, holder->instance};
}

NameClaimer::NameClaimer(Reactor& reactor, zmq::context_t& context, const AgentConfig& config, std::string instance,
                         const Logger& log, Announcer& announcer, OnTaken on_taken)
    : context_(context),
      config_(config),
      instance_(std::move(instance)),
      log_(log),
      announcer_(announcer),
      on_taken_(std::move(on_taken)) {
  reactor.when_due([this] { return settled_ ? std::nullopt : std::optional(next_at_); }, [this] { on_due(); });
}

NameClaimer::~NameClaimer() {
  if (asking_.valid()) asking_.wait();
}

void NameClaimer::on_due() {
  if (!asking_.valid()) {
    const bool own_hub_too = attempts_++ > 0;
    asking_ = std::async(std::launch::async,
                         [this, own_hub_too] { return claim_name(context_, config_, instance_, log_, own_hub_too); });
  }
  if (asking_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    next_at_ = Clock::now() + std::chrono::milliseconds(20);
    return;
  }
  auto claimed = asking_.get();
  if (!claimed) {
    settled_ = true;
    on_taken_(claimed.error());
    return;
  }
  if (claimed->outcome == NameClaim::Outcome::ours) {
    settled_ = true;
    return;
  }
  if (claimed->outcome == NameClaim::Outcome::replaces) announcer_.replace(claimed->predecessor);
  if (attempts_ >= kAttempts) {
    log_.warn("name_unchecked", {{"attempts", std::to_string(attempts_)}});
    settled_ = true;
    return;
  }
  next_at_ = Clock::now() + std::chrono::milliseconds(std::uint64_t{config_.heartbeat_ms} * 3);
}

}  // namespace rpclb::agent
