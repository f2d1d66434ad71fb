#include "lib/balancer.hpp"

#include "common/bus_client.hpp"
#include "common/endpoint.hpp"
#include "common/member_rules.hpp"
#include "common/rpc_client.hpp"
#include "common/zmq_helpers.hpp"
#include "lib/algorithm_plugin_loader.hpp"
#include "lib/exception_text.hpp"
#include "lib/fan_out.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace rpclb {
namespace {

std::string bus_identity(const std::vector<std::string>& bus) {
  std::string id;
  for (const auto& endpoint : bus) id += endpoint + ',';
  return id;
}

// Whether the process that took a hold is still running (EPERM: it is, as
// another user).
bool process_alive(std::int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

Status valid_function(const std::string& function) {
  if (protocol::is_valid_function_name(function)) return {};
  return make_error(ErrorCode::bad_request, "function must be MODULE.FUNCTION, got '" + function + "'");
}

// What a call's end says against the member: a transport error (not one
// about the request, such as its size, or about our side), or a timeout,
// whether our deadline passed or the agent's own did first (it then answers
// request_timeout: the race goes either way).
std::optional<Failure> failure_of(const Result<protocol::CallReply>& reply) {
  if (reply) {
    const bool timed_out =
        reply->kind == protocol::CallReply::Kind::error && reply->error.code == ErrorCode::request_timeout;
    return timed_out ? std::optional(Failure::timeout) : std::nullopt;
  }
  if (reply.error().code == ErrorCode::service_unavailable) return Failure::unreachable;
  if (reply.error().code == ErrorCode::request_timeout) return Failure::timeout;
  return std::nullopt;
}

// Any other reply, even an agent's error, shows the member is there.
bool answered(const Result<protocol::CallReply>& reply) {
  return reply.ok() && !failure_of(reply);
}

// How errors name a caller's own policy: by the name it was given, unless
// that is a built-in's (the default, "random", when it was given none).
std::string own_label(const std::string& name) {
  if (algorithms::AlgorithmCatalog::built_in().find(name)) return "of your own (not the built-in " + name + ")";
  return name;
}

// The policy the options ask for: the caller's own (an object or a
// factory), or one named from the built-ins and the plug-ins.
Result<Policy> policy_for(const BalancerOptions& options) {
  if (options.algorithm_object) {
    if (options.algorithm_factory) {
      return make_error(ErrorCode::bad_request, "give an algorithm object or an algorithm factory, not both");
    }
    if (!options.algorithm_options.empty()) {
      return make_error(ErrorCode::bad_request,
                        "algorithm options are for a factory or a named algorithm; an algorithm object is built "
                        "already");
    }
    return Policy(options.algorithm_object, own_label(options.algorithm));
  }
  std::string label = options.algorithm_factory ? own_label(options.algorithm) : options.algorithm;
  std::optional<algorithms::AlgorithmCatalog> catalog;
  if (!options.algorithm_factory) {
    auto loaded = catalog_with_plugins(options.algorithm_plugins);
    if (!loaded) return loaded.error();
    catalog = std::move(loaded).value();
    if (const auto* entry = catalog->find(options.algorithm); entry && !entry->origin.empty()) {
      label += " of " + entry->origin;
    }
  }
  // Every factory, built in, a plug-in's or the caller's own, is called
  // here: one that throws is an error naming it, not a crash.
  Result<std::unique_ptr<SelectionAlgorithm>> made = make_error(ErrorCode::internal, "no algorithm");
  try {
    made = catalog ? catalog->make(options.algorithm, options.algorithm_options)
                   : options.algorithm_factory(options.algorithm_options);
  } catch (...) {
    return make_error(ErrorCode::internal, "algorithm " + label + ": its factory threw: " + current_exception_text());
  }
  if (!made && catalog && !options.algorithm_origin.empty() && !catalog->find(options.algorithm)) {
    return make_error(ErrorCode::bad_request, options.algorithm_origin + ": algorithm: " + made.error().message);
  }
  if (!made) return made.error();
  if (!*made) return make_error(ErrorCode::internal, "algorithm " + label + ": its factory built nothing");
  return Policy(std::shared_ptr<SelectionAlgorithm>(std::move(made).value()), std::move(label));
}

}  // namespace

Result<Balancer> Balancer::create(BalancerOptions options) {
  auto filter = MatchFilter::parse(options.match);
  if (!filter) return filter.error();
  auto policy = policy_for(options);
  if (!policy) return policy.error();
  return Balancer(std::move(options), std::move(filter).value(), std::move(policy).value());
}

Balancer::Balancer(BalancerOptions options, MatchFilter filter, Policy policy)
    : options_(std::move(options)),
      filter_(std::move(filter)),
      policy_(std::move(policy)),
      outliers_(options_.failure_memory),
      retry_budget_(options_.failure_memory),
      state_(options_.shared_state ? algorithms::StateStore::shared_file(options_.group, bus_identity(options_.bus))
                                   : algorithms::StateStore::in_memory()),
      own_context_(options_.context ? nullptr : std::make_unique<zmq::context_t>()),
      rng_(std::random_device{}()) {
  // Room for a fan-out at its widest; a context the caller gave is theirs.
  if (own_context_) own_context_->set(zmq::ctxopt::max_sockets, kFanOutMaxSockets);
}

RpcPipeline& Balancer::pipeline() {
  if (!pipeline_) pipeline_ = std::make_unique<RpcPipeline>(context(), options_.curve, options_.connect_timeout);
  return *pipeline_;
}

void Balancer::tend_connections() {
  if (pipeline_) pipeline_->turn(Clock::now());
}

DiscoveryOptions Balancer::discovery(Clock::time_point deadline) const {
  return discovery_until(options_.bus, options_.curve, deadline, options_.bus_timeout);
}

RpcOptions Balancer::transport(Clock::time_point deadline) const {
  return RpcOptions{deadline, options_.connect_timeout, options_.curve};
}

Result<Balancer::Group> Balancer::discover(Clock::time_point deadline) {
  const auto now = Clock::now();
  if (cached_at_ && now - *cached_at_ < options_.membership_refresh) return cached_group_;
  if (options_.group.empty()) return make_error(ErrorCode::bad_request, "a group name is required");
  auto fetched = fetch_members(context(), options_.group, discovery(deadline));
  if (!fetched) return fetched.error();
  auto group = std::make_shared<const std::vector<Member>>(std::move(fetched).value());
  if (options_.membership_refresh.count() > 0) {
    cached_group_ = group;
    cached_at_ = now;
  }
  return group;
}

Result<Balancer::Candidates> Balancer::matching_now(Clock::time_point deadline, const std::set<std::string>& excluded) {
  auto group = discover(deadline);
  if (!group) return group.error();
  Candidates found{std::move(group).value(), {}, false};
  const auto is_excluded = [&](const Member& m) { return excluded.contains(m.name); };
  found.whole_group = filter_.matches_all() && std::none_of(found.group->begin(), found.group->end(), is_excluded);
  if (!found.whole_group) {
    found.narrowed = filter_.apply(*found.group);
    std::erase_if(found.narrowed, is_excluded);
  }
  return found;
}

Error Balancer::nobody_matches(const std::set<std::string>& excluded) const {
  if (!excluded.empty()) {
    return {ErrorCode::service_unavailable, "no member of group " + options_.group + " could take the request"};
  }
  const std::string filtered = filter_.matches_all() ? "" : " matching --match";
  return {ErrorCode::service_unavailable, "no members in group " + options_.group + filtered};
}

Result<Balancer::Candidates> Balancer::candidates(Clock::time_point deadline, const std::set<std::string>& excluded) {
  const auto stop_waiting = std::min(deadline, Clock::now() + options_.wait_for_member);
  while (true) {
    auto found = matching_now(deadline, excluded);
    if (!found || !found->matching().empty()) return found;
    // Nobody to route to, and nothing was sent yet: waiting is always safe.
    if (!excluded.empty() || Clock::now() + kMemberPollInterval >= stop_waiting) return nobody_matches(excluded);
    std::this_thread::sleep_for(kMemberPollInterval);
  }
}

Result<std::vector<Member>> Balancer::members(Clock::time_point deadline) {
  auto found = candidates(deadline, {});
  if (!found) return found.error();
  const auto matching = found->matching();
  return std::vector<Member>(matching.begin(), matching.end());
}

algorithms::Chooser Balancer::chooser(Purpose purpose) const {
  // A call's hold is its process's: it ends when the process does, even
  // killed. A bare selection is the script's, which may release it later.
  // Policies that hold nothing need no owner (getpid is a system call, and
  // a measurable share of a library call).
  const bool holds = holds_selections();
  const std::int64_t owner = purpose == Purpose::select || !holds ? algorithms::kAnyOwner : std::int64_t{::getpid()};
  return algorithms::Chooser{
      owner, algorithms::wall_now(),
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.failure_memory.selection_ttl).count()};
}

void Balancer::tidy(algorithms::BalancerState& state, const algorithms::Chooser& chooser) const {
  state.set_chooser(chooser);
  state.expire_holds(process_alive);
}

Result<std::vector<Member>> Balancer::choose(const Candidates& found, std::size_t count,
                                             const std::optional<std::string>& key, Purpose purpose,
                                             Clock::time_point deadline) {
  const auto who = chooser(purpose);
  std::vector<Member> chosen;
  bool store_opened = false;
  auto choose_with = [&](algorithms::BalancerState& state) -> Status {
    store_opened = true;
    tidy(state, who);
    // Forget nodes that left; judged on the whole group, not the --match subset.
    state.retain_only(*found.group);
    // A list fetched again may be the same group: the policy compares.
    if (found.group != noticed_group_) {
      if (auto noticed = policy_.notice(*found.group, state); !noticed) return noticed;
      noticed_group_ = found.group;
    }
    if (purpose == Purpose::retry && !retry_budget_.try_retry(state, who.now)) {
      return make_error(ErrorCode::service_unavailable, "the retry budget of this host's callers is spent");
    }
    if (purpose == Purpose::first_attempt) retry_budget_.count_call(state, who.now);
    remembered_.clear();
    for (const auto& [node, record] : state.ejections()) remembered_.insert(node);
    // Skipping ejected members happens before the policy sees the list, so
    // a rotation goes evenly round the members left.
    std::vector<Member> kept;
    const auto available = outliers_.without_ejected(found.matching(), state, who.now, kept);
    if (options_.on_attempt) note_skipped(found.matching(), available);
    const algorithms::Selection selection{available, key ? key : options_.key, rng_,
                                          algorithms::membership_version(available),
                                          algorithms::load_version(available)};
    auto indices = policy_.choose(selection, state, count);
    if (!indices) return indices.error();
    for (auto index : *indices) chosen.push_back(available[index]);
    return {};
  };
  if (auto done = state_.update(choose_with, deadline); !done) {
    // Another process held the state until the caller's deadline.
    if (done.error().code == ErrorCode::request_timeout) {
      return make_error(ErrorCode::request_timeout, done.error().message + "; nothing was sent");
    }
    // A policy that keeps no state still chooses when the state store is
    // unusable (a folder another user owns): it loses only the failure memory.
    if (store_opened || policy_.state_use() != algorithms::StateUse::none) return done.error();
    algorithms::BalancerState scratch;
    chosen.clear();
    if (auto chose = choose_with(scratch); !chose) return chose.error();
  }
  return chosen;
}

Result<std::vector<Member>> Balancer::select(std::size_t count, Clock::time_point deadline,
                                             const std::set<std::string>& excluded,
                                             const std::optional<std::string>& key) {
  return pick(count, deadline, excluded, key, Purpose::select);
}

Result<std::vector<Member>> Balancer::pick(std::size_t count, Clock::time_point deadline,
                                           const std::set<std::string>& excluded, const std::optional<std::string>& key,
                                           Purpose purpose) {
  if (count == 0) return make_error(ErrorCode::bad_request, "count must be at least 1");
  auto found = candidates(deadline, excluded);
  if (!found) return found.error();
  return choose(*found, count, key, purpose, deadline);
}

Result<bool> Balancer::release(const std::string& node) {
  if (node.empty()) return make_error(ErrorCode::bad_request, "a node name is required");
  bool outstanding = false;
  auto released = state_.update([&](algorithms::BalancerState& state) -> Status {
    tidy(state, chooser(Purpose::select));
    const auto before = state.outstanding(node);
    if (auto released = policy_.release(node, state); !released) return released;
    outstanding = state.outstanding(node) < before;
    return {};
  });
  if (!released) return released.error();
  return outstanding;
}

Result<Balancer::Remembered> Balancer::remembered() {
  Remembered out;
  auto read = state_.update([&](algorithms::BalancerState& state) -> Status {
    tidy(state, chooser(Purpose::select));
    for (const auto& [node, record] : state.ejections()) {
      if (auto until = outliers_.ejected_until(record, state.chooser().now)) out.ejected_until.emplace(node, until);
    }
    for (const auto& [node, count] : state.outstanding_by_node()) out.outstanding.emplace(node, count);
    return {};
  });
  if (!read) return read.error();
  return out;
}

Status Balancer::settle(std::span<const Ended> calls, bool holds, protocol::CallMode mode, Clock::time_point deadline) {
  // Most calls end well for a member with no record and hold nothing: no
  // lock, no write.
  const bool observes = mode == protocol::CallMode::call && policy_.state_use() == algorithms::StateUse::latencies;
  const bool news = holds || observes || std::any_of(calls.begin(), calls.end(), [&](const Ended& call) {
                      return failure_of(call.reply) || (answered(call.reply) && remembered_.contains(call.node.name));
                    });
  if (!news) return {};
  // A policy that fails here does not stop the failure memory from being
  // kept: its error is reported once the state is saved.
  Status policy_failed;
  const auto keep_first = [&policy_failed](Status status) {
    if (policy_failed && !status) policy_failed = std::move(status);
  };
  auto recorded = state_.update(
      [&](algorithms::BalancerState& state) -> Status {
        tidy(state, chooser(Purpose::first_attempt));
        const auto now = state.chooser().now;
        for (const auto& [node, reply, round_trip] : calls) {
          if (holds) keep_first(policy_.release(node.name, state));
          if (auto failure = failure_of(reply)) {
            outliers_.failed(state, node, *failure, now);
            if (options_.on_attempt) {
              if (auto until = outliers_.ejected_until(state.ejection(node.name), now))
                just_ejected_[node.name] = until;
            }
          }
          if (answered(reply)) outliers_.answered(state, node);
          if (observes && (reply || failure_of(reply) == Failure::timeout))
            keep_first(policy_.observe(node.name, round_trip, state));
        }
        return {};
      },
      deadline);
  if (!policy_failed) return policy_failed;
  // The calls' outcomes stand: only what this host remembers of them is
  // lost when another process held the state past their deadline.
  if (!recorded && recorded.error().code == ErrorCode::request_timeout) return {};
  // As in choose(): without a usable store, a stateless policy only forgets.
  if (!recorded && policy_.state_use() == algorithms::StateUse::none) return {};
  return recorded;
}

Result<CallAttempts> Balancer::begin_call(const std::string& function, std::string args_msgpack,
                                          protocol::CallMode mode, Clock::time_point deadline,
                                          const std::optional<std::string>& key) {
  if (auto valid = valid_function(function); !valid) return valid.error();
  CallAttempts call;
  call.request.mode = mode;
  call.request.function = function;
  call.request.args_msgpack = std::move(args_msgpack);
  call.deadline = deadline;
  call.key = key;
  call.stop_waiting = std::min(deadline, Clock::now() + options_.wait_for_member);
  return call;
}

Status Balancer::aim(CallAttempts& call) {
  auto found = call.may_wait ? candidates(call.deadline, call.failed) : matching_now(call.deadline, call.failed);
  call.nobody_matched = found && found->matching().empty();
  if (call.nobody_matched) found = nobody_matches(call.failed);
  auto chosen =
      found ? choose(*found, 1, call.key, call.attempt == 0 ? Purpose::first_attempt : Purpose::retry, call.deadline)
            : Result<std::vector<Member>>(found.error());
  if (!chosen) {
    if (call.history.empty()) return chosen.error();
    return make_error(chosen.error().code, chosen.error().message + " (tried:" + call.history + ")");
  }
  call.node = std::move(chosen->front());
  // Retrying after timeouts needs time left over: each attempt then gets an
  // equal share of what remains. Otherwise one attempt may use it all.
  call.attempt_deadline = call.deadline;
  if (options_.retry_on_timeout) {
    call.attempt_deadline = Clock::now() + (call.deadline - Clock::now()) / (options_.retries - call.attempt + 1);
  }
  call.request.id = rng_();
  call.request.request_id = options_.request_id;
  call.id_dropped = !protocol::address_to(call.request, call.node);
  call.request.timeout_ms = static_cast<std::uint32_t>(remaining(call.attempt_deadline).count());
  call.skipped_ejected = std::move(skipped_ejected_);
  skipped_ejected_.clear();
  call.attempt_started = Clock::now();
  return {};
}

void Balancer::note_skipped(std::span<const Member> matching, std::span<const Member> available) {
  skipped_ejected_.clear();
  if (available.size() == matching.size()) return;
  std::set<std::string_view> kept;
  for (const auto& member : available) kept.insert(member.name);
  for (const auto& member : matching) {
    if (!kept.contains(member.name)) skipped_ejected_.push_back(member.name);
  }
}

void Balancer::report_attempt(const Member& node, std::uint32_t attempt, const Result<CallOutcome>& outcome,
                              std::chrono::microseconds took, std::vector<std::string> skipped, bool id_dropped) {
  if (!options_.on_attempt) return;
  AttemptReport report;
  report.request_id = options_.request_id;
  report.attempt = attempt;
  report.member = node.name;
  report.endpoint = node.endpoint;
  if (!outcome) report.error = outcome.error();
  report.took = took;
  report.skipped_ejected = std::move(skipped);
  if (auto ejected = just_ejected_.find(node.name); ejected != just_ejected_.end()) {
    report.ejected_until = ejected->second;
    just_ejected_.erase(ejected);
  }
  report.id_dropped = id_dropped;
  options_.on_attempt(report);
}

std::optional<Result<CallOutcome>> Balancer::conclude(CallAttempts& call, Result<protocol::CallReply> reply) {
  // Only policies that count selections took one to give back. A cast is
  // released at once: its completion is not tracked (the model leaked one
  // count per cast).
  const bool holds = holds_selections();
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - call.attempt_started);
  const Ended ended{call.node, reply, took};
  if (auto settled = settle({&ended, 1}, holds, call.request.mode, call.deadline); !settled) return settled.error();
  const bool served = reply && reply->kind != protocol::CallReply::Kind::error;
  if (served && !options_.on_attempt) {
    // The call ends here, and its member moves into the outcome.
    return CallOutcome{std::move(call.node), std::move(reply->value_msgpack), took};
  }
  auto outcome = reply ? outcome_of(call.node, std::move(reply).value(), took) : Result<CallOutcome>(reply.error());
  report_attempt(call.node, call.attempt + 1, outcome, took, std::move(call.skipped_ejected), call.id_dropped);
  if (outcome) return outcome;

  // service_unavailable, from the transport or the agent, means the request
  // never ran there; a timeout means it may have.
  const auto& error = outcome.error();
  const bool never_ran = error.code == ErrorCode::service_unavailable;
  const bool may_repeat = error.code == ErrorCode::request_timeout && options_.retry_on_timeout;
  if ((!never_ran && !may_repeat) || call.attempt >= options_.retries || Clock::now() >= call.deadline) {
    if (call.history.empty()) return outcome;
    return make_error(error.code, error.message + " (after" + call.history + ")");
  }
  call.failed.insert(call.node.name);
  call.history += " " + call.node.name + ": " + error.message + ";";
  ++call.attempt;
  return std::nullopt;
}

Result<CallOutcome> Balancer::call(const std::string& function, std::string args_msgpack, protocol::CallMode mode,
                                   Clock::time_point deadline, const std::optional<std::string>& key) {
  auto call = begin_call(function, std::move(args_msgpack), mode, deadline, key);
  if (!call) return call.error();
  return run(std::move(call).value());
}

bool CallAttempts::worth_waiting() const {
  return nobody_matched && failed.empty() && Clock::now() + kMemberPollInterval < stop_waiting;
}

Result<CallOutcome> Balancer::run(CallAttempts call, std::mutex* selection_mutex) {
  if (selection_mutex) call.may_wait = false;
  auto hold = [&] { return selection_mutex ? std::unique_lock(*selection_mutex) : std::unique_lock<std::mutex>(); };
  while (true) {
    Status aimed;
    {
      auto lock = hold();
      aimed = aim(call);
    }
    if (!aimed) {
      if (!call.worth_waiting()) return aimed.error();
      std::this_thread::sleep_for(kMemberPollInterval);
      continue;
    }
    auto reply = pipeline().call(call.node.endpoint, call.request, call.attempt_deadline);
    std::optional<Result<CallOutcome>> ended;
    {
      auto lock = hold();
      ended = conclude(call, std::move(reply));
    }
    if (ended) return std::move(*ended);
  }
}

Result<FanOutResults> Balancer::fan_out(std::size_t count, const std::string& function, const std::string& args_msgpack,
                                        protocol::CallMode mode, Clock::time_point deadline, std::size_t parallel) {
  if (auto valid = valid_function(function); !valid) return valid.error();
  auto batch = count == 0 ? members(deadline) : pick(count, deadline, {}, std::nullopt, Purpose::first_attempt);
  if (!batch) return batch.error();
  const FanOut request{function, args_msgpack, transport(deadline), parallel, mode, options_.request_id};
  const bool holds = count != 0 && holds_selections();
  FanOutResults out;
  if (count > batch->size()) {
    out.notes.push_back("chose " + std::to_string(batch->size()) + " of the " + std::to_string(count) +
                        " members asked for (the others are missing, or ejected on this host)");
  }
  std::set<std::string> asked;
  for (std::uint32_t round = 0;; ++round) {
    auto exchanged = exchange_each(context(), *batch, request);
    std::vector<Ended> ended;
    for (std::size_t i = 0; i < batch->size(); ++i) {
      ended.push_back({(*batch)[i], exchanged[i].reply, exchanged[i].round_trip});
    }
    if (auto settled = settle(ended, holds, mode, deadline); !settled) return settled.error();
    auto skipped = std::move(skipped_ejected_);
    skipped_ejected_.clear();
    // Members that could not take it (it never ran there), to be replaced.
    std::vector<std::pair<Member, Result<CallOutcome>>> unserved;
    for (std::size_t i = 0; i < batch->size(); ++i) {
      const auto& node = (*batch)[i];
      auto& [reply, round_trip] = exchanged[i];
      asked.insert(node.name);
      auto outcome =
          reply ? outcome_of(node, std::move(reply).value(), round_trip) : Result<CallOutcome>(reply.error());
      report_attempt(node, round + 1, outcome, round_trip, i == 0 ? std::move(skipped) : std::vector<std::string>{},
                     !options_.request_id.empty() && !protocol::reads_request_id(node));
      if (count != 0 && !outcome && outcome.error().code == ErrorCode::service_unavailable) {
        unserved.emplace_back(node, std::move(outcome));
      } else {
        out.nodes.push_back(node);
        out.results.push_back(std::move(outcome));
      }
    }
    if (unserved.empty()) return out;
    Result<std::vector<Member>> more = make_error(ErrorCode::service_unavailable, "out of retries");
    if (round < options_.retries && Clock::now() < deadline) {
      more = pick(unserved.size(), deadline, asked, std::nullopt, Purpose::retry);
    }
    const auto replacements = more ? more->size() : 0;
    for (std::size_t i = 0; i < unserved.size(); ++i) {
      auto& [node, outcome] = unserved[i];
      if (i < replacements) {
        out.notes.push_back("replaced " + node.name + ": " + outcome.error().message);
      } else {
        out.nodes.push_back(std::move(node));
        out.results.push_back(std::move(outcome));
      }
    }
    if (replacements == 0) return out;
    batch = std::move(more);
  }
}

}  // namespace rpclb
