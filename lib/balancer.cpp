#include "lib/balancer.hpp"

#include "common/bus_client.hpp"
#include "lib/algorithm_plugin_loader.hpp"
#include "lib/exception_text.hpp"

namespace rpclb {
namespace {

std::string bus_identity(const std::vector<std::string>& bus) {
  std::string id;
  for (const auto& endpoint : bus) id += endpoint + ',';
  return id;
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
  auto own_context = options.context ? nullptr : std::make_unique<zmq::context_t>();
  // Room for a fan-out at its widest; a context the caller gave is theirs.
  if (own_context) own_context->set(zmq::ctxopt::max_sockets, kFanOutMaxSockets);
  auto discover = options.discover;
  if (!discover) {
    zmq::context_t* context = options.context ? options.context : own_context.get();
    discover = [context, group = options.group, bus = options.bus, curve = options.curve,
                bus_timeout = options.bus_timeout](Clock::time_point deadline) {
      return fetch_members(*context, group, discovery_until(bus, curve, deadline, bus_timeout));
    };
  }
  auto store = options.shared_state ? state::StateStore::shared_file(options.group, bus_identity(options.bus))
                                    : state::StateStore::in_memory();
  const bool traced = static_cast<bool>(options.on_attempt);
  BalancerParts parts{
      CandidateFinder({options.group, options.membership_refresh, options.wait_for_member}, std::move(filter).value(),
                      std::move(discover)),
      HostMemory(std::move(policy).value(), options.failure_memory, std::move(store)),
      Selector(traced, options.key),
      OutcomeRecorder(traced),
      AttemptTrace(options.request_id, options.on_attempt),
      options.retry,
  };
  return Balancer(std::move(options), std::move(own_context), std::move(parts));
}

Balancer::Balancer(BalancerOptions options, std::unique_ptr<zmq::context_t> own_context, BalancerParts parts)
    : options_(std::move(options)),
      own_context_(std::move(own_context)),
      parts_(std::move(parts)),
      ids_(std::random_device{}()) {}

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

Result<std::vector<Member>> Balancer::members(Clock::time_point deadline) {
  auto found = parts_.candidates.find(deadline, {});
  if (!found) return found.error();
  const auto matching = found->matching();
  return std::vector<Member>(matching.begin(), matching.end());
}

Result<std::vector<Member>> Balancer::select(std::size_t count, Clock::time_point deadline,
                                             const std::optional<std::string>& key) {
  if (count == 0) return make_error(ErrorCode::bad_request, "count must be at least 1");
  return parts_.choose(count, deadline, {}, key, Purpose::select);
}

Result<CallOutcome> Balancer::call(const std::string& function, std::string args_msgpack, protocol::CallMode mode,
                                   Clock::time_point deadline, const std::optional<std::string>& key) {
  CallAttempts call;
  if (auto begun = begin_call(call, function, std::move(args_msgpack), mode, deadline, key); !begun) {
    return begun.error();
  }
  return run(std::move(call));
}

Result<CallOutcome> Balancer::run(CallAttempts call, std::mutex* parts_mutex) {
  const auto send = [this](const std::string& endpoint, const protocol::CallRequest& request,
                           Clock::time_point deadline) { return pipeline().call(endpoint, request, deadline); };
  return run_call(parts_, send, std::move(call), ids_, parts_mutex);
}

Result<FanOutResults> Balancer::fan_out(std::size_t count, FanOut request, Clock::time_point deadline,
                                        const FanOutWatch& watch) {
  request.transport = transport(deadline);
  request.request_id = options_.request_id;
  const auto exchange = [this](const std::vector<Member>& members, const FanOut& fan_out,
                               const OnExchanged& on_exchanged, const FanOutWatch& watching) {
    return exchange_each(context(), members, fan_out, on_exchanged, watching);
  };
  return rpclb::fan_out(parts_, count, request, exchange, watch);
}

}  // namespace rpclb
