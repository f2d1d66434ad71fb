#include "lib/balancer.hpp"

#include "algorithms/balancer_state.hpp"
#include "algorithms/registry.hpp"
#include "common/bus_client.hpp"
#include "common/endpoint.hpp"
#include "common/member_rules.hpp"
#include "common/rpc_client.hpp"
#include "common/zmq_helpers.hpp"

#include <algorithm>
#include <atomic>
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

// What a reply means for the caller: a result (or a cast's acceptance) from
// `node`, or the agent's error.
Result<CallOutcome> outcome_of(const protocol::MemberInfo& node, protocol::CallReply reply,
                               std::chrono::microseconds round_trip = {}) {
  if (reply.kind == protocol::CallReply::Kind::error) return reply.error;
  return CallOutcome{node, std::move(reply.value_msgpack), round_trip};
}

}  // namespace

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
      own_context_(options_.context ? nullptr : std::make_unique<zmq::context_t>()),
      rng_(std::random_device{}()) {}

RpcChannel& Balancer::channel_to(const std::string& endpoint) {
  auto found = channels_.find(endpoint);
  if (found == channels_.end()) {
    found = channels_.emplace(endpoint, RpcChannel(context(), endpoint, options_.curve)).first;
  }
  return found->second;
}

template <typename Use>
auto Balancer::with_state(bool persistent, Use&& use) -> decltype(use(std::declval<algorithms::BalancerState&>())) {
  if (!persistent) {
    algorithms::BalancerState scratch;
    return use(scratch);
  }
  if (!options_.persist_state) return use(memory_state_);
  auto dir = algorithms::state_directory();
  if (!dir) return dir.error();
  auto file =
      algorithms::StateFile::open(*dir / algorithms::state_file_name(options_.group, bus_identity(options_.bus)));
  if (!file) return file.error();
  auto state = file->load();
  auto result = use(state);
  if (state.changed()) {
    if (auto saved = file->save(state); !saved) return saved.error();
  }
  return result;
}

Result<std::vector<protocol::MemberInfo>> Balancer::discover(Clock::time_point deadline) {
  const auto now = Clock::now();
  if (cached_at_ && now - *cached_at_ < options_.membership_refresh) return cached_group_;
  if (options_.group.empty()) return make_error(ErrorCode::bad_request, "a group name is required");
  auto group = fetch_members(context(), options_.group, discovery_options(deadline));
  if (group && options_.membership_refresh.count() > 0) {
    cached_group_ = *group;
    cached_at_ = now;
  }
  return group;
}

DiscoveryOptions Balancer::discovery_options(Clock::time_point deadline) const {
  DiscoveryOptions discovery;
  discovery.bus = options_.bus;
  discovery.deadline = std::min(deadline, Clock::now() + options_.bus_timeout);
  discovery.curve = options_.curve;
  return discovery;
}

std::vector<protocol::MemberInfo> Balancer::filtered(const std::vector<protocol::MemberInfo>& group) const {
  return filter_.apply(group);
}

Result<std::vector<protocol::MemberInfo>> Balancer::candidates(Clock::time_point deadline,
                                                               const std::set<std::string>& excluded,
                                                               std::vector<protocol::MemberInfo>& group) {
  const auto stop_waiting = std::min(deadline, Clock::now() + options_.wait_for_member);
  while (true) {
    auto found = discover(deadline);
    if (!found) return found.error();
    group = std::move(found).value();
    auto matching = filtered(group);
    std::erase_if(matching, [&](const protocol::MemberInfo& m) { return excluded.contains(m.name); });
    if (!matching.empty()) return matching;
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
  std::vector<protocol::MemberInfo> group;
  return candidates(deadline, {}, group);
}

Result<std::vector<protocol::MemberInfo>> Balancer::select(std::size_t count, Clock::time_point deadline,
                                                           const std::set<std::string>& excluded,
                                                           const std::optional<std::string>& key) {
  if (count == 0) return make_error(ErrorCode::bad_request, "count must be at least 1");
  std::vector<protocol::MemberInfo> group;
  auto found = candidates(deadline, excluded, group);
  if (!found) return found.error();
  const auto& members = *found;
  auto chosen =
      with_state(algorithm_->stateful(), [&](algorithms::BalancerState& state) -> Result<std::vector<std::size_t>> {
        // Forget nodes that left; judged on the whole group, not the --match subset.
        state.retain_only(group);
        const algorithms::Selection selection{members,
                                              key ? key : options_.key,
                                              state,
                                              rng_,
                                              algorithms::membership_version(members),
                                              algorithms::load_version(members)};
        if (count == 1) {
          auto one = algorithm_->choose_one(selection);
          if (!one) return one.error();
          return std::vector<std::size_t>{*one};
        }
        return algorithm_->choose_many(selection, count);
      });
  if (!chosen) return chosen.error();
  std::vector<protocol::MemberInfo> out;
  for (auto index : *chosen) {
    if (index >= members.size()) {
      return make_error(ErrorCode::internal, "algorithm " + options_.algorithm + " chose a member that does not exist");
    }
    out.push_back(members[index]);
  }
  return out;
}

Result<bool> Balancer::release(const std::string& node) {
  if (node.empty()) return make_error(ErrorCode::bad_request, "a node name is required");
  return with_state(true, [&](algorithms::BalancerState& state) -> Result<bool> {
    const bool outstanding = state.outstanding(node) > 0;
    algorithm_->release(node, state);
    return outstanding;
  });
}

Result<CallOutcome> Balancer::call_once(const protocol::MemberInfo& node, const protocol::CallRequest& request,
                                        Clock::time_point deadline) {
  auto reply = channel_to(node.endpoint).call(request, RpcOptions{deadline, options_.connect_timeout, options_.curve});
  // Only stateful policies counted the selection. A cast is released at once:
  // its completion is not tracked (the model leaked one count per cast).
  if (algorithm_->stateful()) {
    if (auto released = release(node.name); !released) return released.error();
  }
  if (!reply) return reply.error();
  return outcome_of(node, std::move(reply).value());
}

std::vector<Result<CallOutcome>> Balancer::call_each(const std::vector<protocol::MemberInfo>& nodes,
                                                     const std::string& function, const std::string& args_msgpack,
                                                     Clock::time_point deadline, std::size_t parallel) {
  std::vector<std::optional<Result<CallOutcome>>> results(nodes.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < nodes.size(); i = next++) {
      protocol::CallRequest request{std::random_device{}(), protocol::CallMode::call, function, args_msgpack,
                                    static_cast<std::uint32_t>(remaining(deadline).count())};
      // One socket per call: RpcChannel is not thread-safe, the context is.
      const auto sent = Clock::now();
      auto reply = exchange(context(), nodes[i].endpoint, request,
                            RpcOptions{deadline, options_.connect_timeout, options_.curve});
      const auto round_trip = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent);
      results[i] = reply ? outcome_of(nodes[i], std::move(reply).value(), round_trip) : reply.error();
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < std::max<std::size_t>(1, std::min(parallel, nodes.size())); ++t)
    threads.emplace_back(worker);
  for (auto& thread : threads) thread.join();
  std::vector<Result<CallOutcome>> out;
  for (auto& result : results) out.push_back(std::move(*result));
  return out;
}

Status Balancer::watch(const WatchEvent& emit, const std::function<bool()>& should_stop) {
  if (options_.group.empty()) return make_error(ErrorCode::bad_request, "a group name is required");
  // Subscribe before the snapshot, so no change can fall between the two.
  std::vector<zmq::socket_t> subscriptions;
  for (const auto& endpoint : options_.bus) {
    auto address = bus_address(endpoint);
    if (!address) return address.error();
    auto socket = make_socket(context(), zmq::socket_type::sub);
    secure_client(socket, options_.curve);
    socket.set(zmq::sockopt::subscribe, "");
    socket.connect(address->updates);
    subscriptions.push_back(std::move(socket));
  }
  std::map<std::string, protocol::MemberInfo, std::less<>> known;
  auto in_scope = [&](const protocol::MemberInfo& m) {
    return filter_.matches(m.name) && std::find(m.groups.begin(), m.groups.end(), options_.group) != m.groups.end();
  };
  auto apply = [&](const protocol::MemberInfo& member) {
    auto found = known.find(member.name);
    if (!in_scope(member)) {
      if (found != known.end()) {
        emit("leave", found->second);
        known.erase(found);
      }
      return;
    }
    if (found == known.end()) {
      known.emplace(member.name, member);
      emit("join", member);
    } else if (!(found->second == member)) {
      found->second = member;
      emit("update", member);
    }
  };
  auto group = fetch_members(context(), options_.group, discovery_options(Clock::now() + options_.bus_timeout));
  if (!group) return group.error();
  for (const auto& member : *group) apply(member);

  std::vector<zmq::pollitem_t> items;
  for (auto& socket : subscriptions) items.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});
  std::vector<zmq::message_t> parts;
  while (!should_stop()) {
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(200));
    for (auto& socket : subscriptions) {
      while (receive_multipart(socket, parts)) {
        if (parts.size() != 1) continue;
        auto message = protocol::decode(as_view(parts[0]));
        if (!message) continue;
        if (auto* announce = std::get_if<protocol::Announce>(&*message)) {
          if (validate_member(announce->member)) apply(announce->member);
        } else if (auto* leave = std::get_if<protocol::Leave>(&*message)) {
          auto found = known.find(leave->name);
          if (found != known.end() && found->second.instance == leave->instance) {
            emit("leave", found->second);
            known.erase(found);
          }
        }
      }
    }
  }
  return {};
}

Result<std::vector<protocol::MemberInfo>> Balancer::all_members(Clock::time_point deadline) {
  return fetch_members(context(), "", discovery_options(deadline));
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
