#include "lib/balancer.hpp"

#include "algorithms/registry.hpp"
#include "common/bus_client.hpp"
#include "common/endpoint.hpp"
#include "common/member_rules.hpp"
#include "common/rpc_client.hpp"
#include "common/zmq_helpers.hpp"

#include <algorithm>
#include <thread>

namespace rpclb {
namespace {

// How often an empty group is asked again under --wait-for-member.
constexpr std::chrono::milliseconds kMemberPollInterval{50};

std::string bus_identity(const std::vector<std::string>& bus) {
  std::string id;
  for (const auto& endpoint : bus) id += endpoint + ',';
  return id;
}

}  // namespace

Result<CallOutcome> outcome_of(const protocol::MemberInfo& node, protocol::CallReply reply,
                               std::chrono::microseconds round_trip) {
  if (reply.kind == protocol::CallReply::Kind::error) return reply.error;
  return CallOutcome{node, std::move(reply.value_msgpack), round_trip};
}

Result<Balancer> Balancer::create(BalancerOptions options) {
  auto filter = MatchFilter::parse(options.match);
  if (!filter) return filter.error();
  auto algorithm = algorithms::make_algorithm(options.algorithm, options.algorithm_options);
  if (!algorithm) return algorithm.error();
  return Balancer(std::move(options), std::move(filter).value(), std::move(algorithm).value());
}

Balancer::Balancer(BalancerOptions options, MatchFilter filter,
                   std::unique_ptr<algorithms::SelectionAlgorithm> algorithm)
    : options_(std::move(options)),
      filter_(std::move(filter)),
      algorithm_(std::move(algorithm)),
      state_(options_.shared_state ? algorithms::StateStore::shared_file(options_.group, bus_identity(options_.bus))
                                   : algorithms::StateStore::in_memory()),
      own_context_(options_.context ? nullptr : std::make_unique<zmq::context_t>()),
      rng_(std::random_device{}()) {}

RpcChannel& Balancer::channel_to(const std::string& endpoint) {
  auto found = channels_.find(endpoint);
  if (found == channels_.end()) {
    found = channels_.emplace(endpoint, RpcChannel(context(), endpoint, options_.curve)).first;
  }
  return found->second;
}

DiscoveryOptions Balancer::discovery(Clock::time_point deadline) const {
  return discovery_until(options_.bus, options_.curve, deadline, options_.bus_timeout);
}

RpcOptions Balancer::transport(Clock::time_point deadline) const {
  return RpcOptions{deadline, options_.connect_timeout, options_.curve};
}

Result<std::vector<protocol::MemberInfo>> Balancer::discover(Clock::time_point deadline) {
  const auto now = Clock::now();
  if (cached_at_ && now - *cached_at_ < options_.membership_refresh) return cached_group_;
  if (options_.group.empty()) return make_error(ErrorCode::bad_request, "a group name is required");
  auto group = fetch_members(context(), options_.group, discovery(deadline));
  if (group && options_.membership_refresh.count() > 0) {
    cached_group_ = *group;
    cached_at_ = now;
  }
  return group;
}

Result<Balancer::Candidates> Balancer::candidates(Clock::time_point deadline, const std::set<std::string>& excluded) {
  const auto stop_waiting = std::min(deadline, Clock::now() + options_.wait_for_member);
  while (true) {
    auto group = discover(deadline);
    if (!group) return group.error();
    auto matching = filter_.apply(*group);
    std::erase_if(matching, [&](const protocol::MemberInfo& m) { return excluded.contains(m.name); });
    if (!matching.empty()) return Candidates{std::move(group).value(), std::move(matching)};
    if (!excluded.empty()) {
      return make_error(ErrorCode::service_unavailable,
                        "no member of group " + options_.group + " could take the request");
    }
    // Nobody to route to, and nothing was sent yet: waiting is always safe.
    if (Clock::now() + kMemberPollInterval >= stop_waiting) {
      const std::string filtered = filter_.matches_all() ? "" : " matching --match";
      return make_error(ErrorCode::service_unavailable, "no members in group " + options_.group + filtered);
    }
    std::this_thread::sleep_for(kMemberPollInterval);
  }
}

Result<std::vector<protocol::MemberInfo>> Balancer::members(Clock::time_point deadline) {
  auto found = candidates(deadline, {});
  if (!found) return found.error();
  return std::move(found->matching);
}

Result<std::vector<std::size_t>> Balancer::choose(const Candidates& found, std::size_t count,
                                                  const std::optional<std::string>& key) {
  const algorithms::Selection selection{found.matching, key ? key : options_.key, rng_,
                                        algorithms::membership_version(found.matching),
                                        algorithms::load_version(found.matching)};
  std::vector<std::size_t> chosen;
  auto choose_with = [&](algorithms::BalancerState& state) -> Status {
    // Forget nodes that left; judged on the whole group, not the --match subset.
    state.retain_only(found.group);
    if (count == 1) {
      auto one = algorithm_->choose_one(selection, state);
      if (!one) return one.error();
      chosen = {*one};
    } else {
      auto many = algorithm_->choose_many(selection, state, count);
      if (!many) return many.error();
      chosen = std::move(many).value();
    }
    return {};
  };
  // A policy that keeps no state is handed a scratch one: no lock to take.
  algorithms::BalancerState scratch;
  const auto done =
      algorithm_->state_use() == algorithms::StateUse::none ? choose_with(scratch) : state_.update(choose_with);
  if (!done) return done.error();
  return chosen;
}

Result<std::vector<protocol::MemberInfo>> Balancer::select(std::size_t count, Clock::time_point deadline,
                                                           const std::set<std::string>& excluded,
                                                           const std::optional<std::string>& key) {
  if (count == 0) return make_error(ErrorCode::bad_request, "count must be at least 1");
  auto found = candidates(deadline, excluded);
  if (!found) return found.error();
  auto chosen = choose(*found, count, key);
  if (!chosen) return chosen.error();
  std::vector<protocol::MemberInfo> out;
  for (auto index : *chosen) {
    if (index >= found->matching.size()) {
      return make_error(ErrorCode::internal, "algorithm " + options_.algorithm + " chose a member that does not exist");
    }
    out.push_back(found->matching[index]);
  }
  return out;
}

Result<bool> Balancer::release(const std::string& node) {
  if (node.empty()) return make_error(ErrorCode::bad_request, "a node name is required");
  bool outstanding = false;
  auto released = state_.update([&](algorithms::BalancerState& state) -> Status {
    outstanding = state.outstanding(node) > 0;
    algorithm_->release(node, state);
    return {};
  });
  if (!released) return released.error();
  return outstanding;
}

Result<CallOutcome> Balancer::call_once(const protocol::MemberInfo& node, const protocol::CallRequest& request,
                                        Clock::time_point deadline) {
  auto reply = channel_to(node.endpoint).call(request, transport(deadline));
  // Only policies that count selections took one to give back. A cast is
  // released at once: its completion is not tracked (the model leaked one
  // count per cast).
  if (algorithm_->state_use() == algorithms::StateUse::selections) {
    if (auto released = release(node.name); !released) return released.error();
  }
  if (!reply) return reply.error();
  return outcome_of(node, std::move(reply).value());
}

Result<CallOutcome> Balancer::call(const std::string& function, std::string args_msgpack, protocol::CallMode mode,
                                   Clock::time_point deadline, const std::optional<std::string>& key) {
  if (!protocol::is_valid_function_name(function)) {
    return make_error(ErrorCode::bad_request, "function must be MODULE.FUNCTION, got '" + function + "'");
  }
  protocol::CallRequest request;
  request.mode = mode;
  request.function = function;
  request.args_msgpack = std::move(args_msgpack);

  std::set<std::string> failed;
  std::string history;
  for (std::uint32_t attempt = 0;; ++attempt) {
    auto chosen = select(1, deadline, failed, key);
    if (!chosen) {
      if (history.empty()) return chosen.error();
      return make_error(chosen.error().code, chosen.error().message + " (tried:" + history + ")");
    }
    const auto& node = chosen->front();
    // Retrying after timeouts needs time left over: each attempt then gets an
    // equal share of what remains. Otherwise one attempt may use it all.
    auto attempt_deadline = deadline;
    if (options_.retry_on_timeout) {
      attempt_deadline = Clock::now() + (deadline - Clock::now()) / (options_.retries - attempt + 1);
    }
    request.id = rng_();
    protocol::address_to(request, node);
    request.timeout_ms = static_cast<std::uint32_t>(remaining(attempt_deadline).count());
    auto outcome = call_once(node, request, attempt_deadline);
    if (outcome) return outcome;

    // service_unavailable, from the transport or the agent, means the request
    // never ran there; a timeout means it may have.
    const auto& error = outcome.error();
    const bool never_ran = error.code == ErrorCode::service_unavailable;
    const bool may_repeat = error.code == ErrorCode::request_timeout && options_.retry_on_timeout;
    if ((!never_ran && !may_repeat) || attempt >= options_.retries || Clock::now() >= deadline) {
      if (history.empty()) return error;
      return make_error(error.code, error.message + " (after" + history + ")");
    }
    failed.insert(node.name);
    history += " " + node.name + ": " + error.message + ";";
  }
}

}  // namespace rpclb
