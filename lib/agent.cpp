// rpclb::Agent over the agent's event loop (agent/agent.hpp): validates
// options into an AgentConfig, adapts handlers, and runs the loop on a
// thread of its own (start) or on the caller's (run_until_signal).
#include "rpclb/agent.hpp"

#include <unistd.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <thread>

#include "agent/addressing.hpp"
#include "agent/agent.hpp"
#include "agent/metrics_server.hpp"
#include "common/curve.hpp"
#include "common/endpoint.hpp"
#include "common/host_name.hpp"
#include "common/member_rules.hpp"
#include "common/option_ranges.hpp"
#include "common/protocol.hpp"
#include "common/signals.hpp"

namespace rpclb {
namespace {

// Everything about the options that does not need the network; the first
// problem found, or success.
Status check_options(const AgentOptions& options) {
  if (!options.name.empty()) {
    if (auto valid = validate_name("name", options.name); !valid) return valid;
  }
  if (options.groups.size() > kMaxGroupsPerMember) {
    return make_error(ErrorCode::bad_request,
                      "an agent joins at most " + std::to_string(kMaxGroupsPerMember) + " groups");
  }
  for (const auto& group : options.groups) {
    if (auto valid = validate_name("group", group); !valid) return valid;
    if (std::count(options.groups.begin(), options.groups.end(), group) > 1) {
      return make_error(ErrorCode::bad_request, "group " + group + " is given twice");
    }
  }
  if (auto status = validate_endpoint(options.listen, true); !options.listen.empty() && !status) {
    return make_error(ErrorCode::bad_request, "listen: " + status.error().message);
  }
  if (!options.advertise.empty()) {
    if (auto status = validate_member_endpoint(options.advertise); !status) {
      return make_error(ErrorCode::bad_request, "advertise: " + status.error().message);
    }
  }
  if (options.serve_bus) {
    if (auto address = bus_address(*options.serve_bus); !address) {
      return make_error(ErrorCode::bad_request, "serve bus: " + address.error().message);
    }
  }
  // A negative duration wraps to a huge number: out of range, as it should be.
  for (const auto& check :
       {check_range(agent_ranges::kWeight, options.weight),
        check_range(agent_ranges::kHeartbeatMs, static_cast<std::uint64_t>(options.heartbeat.count())),
        check_range(agent_ranges::kMissedHeartbeats, options.missed_heartbeats),
        check_range(agent_ranges::kWorkers, options.workers), check_range(agent_ranges::kMaxQueue, options.max_queue),
        check_range(agent_ranges::kMaxInflightBytes, options.max_inflight_bytes),
        check_range(agent_ranges::kDrainTimeoutMs, static_cast<std::uint64_t>(options.drain_timeout.count()))}) {
    if (!check) return check;
  }
  return {};
}

Result<agent::AgentConfig> make_config(AgentOptions options) {
  if (auto checked = check_options(options); !checked) return checked.error();
  agent::AgentConfig config;
  auto level = agent::parse_log_level(options.log_level);
  if (!level) {
    return make_error(ErrorCode::bad_request, "log level must be error, warn, info or debug, got " + options.log_level);
  }
  // Announcing to the hub it serves: at an address it can connect to.
  auto bus = resolve_bus(options.bus, options.serve_bus ? connectable(*options.serve_bus) : std::string(kDefaultBus));
  if (!bus) return bus.error();
  for (const auto& endpoint : *bus) {
    if (auto address = bus_address(endpoint); !address) {
      return make_error(ErrorCode::bad_request, "bus: " + address.error().message);
    }
  }
  if (!options.functions_file.empty()) {
    auto specs = agent::load_functions_file(options.functions_file);
    if (!specs) return specs.error();
    config.functions = std::move(specs).value();
    config.functions_file = options.functions_file;
  }
  auto curve = load_server_curve(options.curve_secret_file, options.curve_authorized_dir,
                                 "curve_secret_file and curve_authorized_dir");
  if (!curve) return curve.error();

  config.name = options.name.empty() ? host_name() : std::move(options.name);
  if (auto valid = validate_name("name (the host name, as no --name was given)", config.name); !valid) {
    return valid.error();
  }
  config.groups = std::move(options.groups);
  auto addressing = agent::plan_addressing(options.listen, options.advertise, *bus, options.serve_bus.value_or(""));
  if (!addressing) return addressing.error();
  config.listen = std::move(addressing->listen);
  config.advertise_host = std::move(addressing->advertise_host);
  config.advertise = std::move(options.advertise);
  config.bus = std::move(bus).value();
  config.serve_bus = std::move(options.serve_bus);
  config.weight = options.weight;
  config.heartbeat_ms = static_cast<std::uint32_t>(options.heartbeat.count());
  config.missed_heartbeats = options.missed_heartbeats;
  config.workers = options.workers;
  config.max_queue = options.max_queue;
  config.max_inflight_bytes = options.max_inflight_bytes;
  config.drain_timeout_ms = static_cast<std::uint32_t>(options.drain_timeout.count());
  config.log_level = *level;
  config.curve = std::move(curve).value();
  if (!options.metrics_listen.empty()) {
    if (!agent::parse_host_port(options.metrics_listen)) {
      return make_error(ErrorCode::bad_request, "--metrics-listen must be HOST:PORT (e.g. 127.0.0.1:9464), got '" +
                                                    options.metrics_listen + "'");
    }
    config.metrics_listen = std::move(options.metrics_listen);
  }
  config.procfs = std::move(options.procfs);
  return config;
}

// The agent's internal handler shape, around a public Handler.
agent::Handler adapt(Handler handler, std::string function) {
  return [handler = std::move(handler), function = std::move(function)](
             const msgpack::object&, const agent::CallContext& context) -> Result<std::string> {
    auto arguments = Payload::from_msgpack(std::string(context.args_msgpack));
    if (!arguments) return arguments.error();
    auto result = handler(Request{function, std::move(arguments).value(), context.deadline, context.stop});
    if (!result) return result.error();
    return result->msgpack();
  };
}

}  // namespace

struct Agent::State {
  explicit State(agent::AgentConfig config) : config(std::move(config)) {}

  agent::AgentConfig config;
  StopRequest stop_request;
  std::mutex stopping;  // one stop() joins the loop; others wait for it
  std::thread serving;  // runs the event loop after start()
  std::string endpoint;
  bool started = false;
};

Result<Agent> Agent::create(AgentOptions options) {
  auto config = make_config(std::move(options));
  if (!config) return config.error();
  return Agent(std::make_unique<State>(std::move(config).value()));
}

Agent::Agent(std::unique_ptr<State> state) : state_(std::move(state)) {}
Agent::Agent(Agent&&) noexcept = default;
Agent& Agent::operator=(Agent&& other) noexcept {
  if (this != &other) {
    if (state_) stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

Agent::~Agent() {
  if (state_) stop();
}

Status Agent::handle(std::string function, Handler handler) {
  if (state_->started) return make_error(ErrorCode::bad_request, "handlers are registered before start()");
  if (!protocol::is_valid_function_name(function)) {
    return make_error(ErrorCode::bad_request, "function must be MODULE.FUNCTION, got '" + function + "'");
  }
  if (function.starts_with("sys.")) return make_error(ErrorCode::bad_request, "sys.* is reserved for the built-ins");
  if (!handler) return make_error(ErrorCode::bad_request, "no handler for " + function);
  auto& table = state_->config.handlers;
  const bool is_program = std::any_of(state_->config.functions.begin(), state_->config.functions.end(),
                                      [&](const agent::FunctionSpec& spec) { return spec.name == function; });
  if (table.find(function) || is_program) {
    return make_error(ErrorCode::bad_request, "function " + function + " is served twice");
  }
  table.add(function, adapt(std::move(handler), function));
  return {};
}

Status Agent::start() {
  if (state_->started) return make_error(ErrorCode::bad_request, "the agent is already started");
  std::promise<Result<std::string>> serving;
  auto ready = serving.get_future();
  state_->started = true;
  state_->serving = std::thread([state = state_.get(), serving = std::move(serving)]() mutable {
    bool told = false;
    try {
      agent::run_agent(state->config, state->stop_request, [&](const std::string& endpoint) {
        serving.set_value(endpoint);
        told = true;
      });
    } catch (const std::exception& e) {
      if (!told) {
        serving.set_value(make_error(ErrorCode::service_unavailable, e.what()));
      } else {
        // Nobody is waiting on the loop but the service's operator.
        agent::Logger(state->config.name, state->config.log_level).error("failed", {{"error", e.what()}});
      }
    }
  });
  auto endpoint = ready.get();
  if (!endpoint) {
    state_->serving.join();
    state_->started = false;
    return endpoint.error();
  }
  state_->endpoint = std::move(endpoint).value();
  return {};
}

std::string Agent::endpoint() const {
  return state_->endpoint;
}

void Agent::stop() {
  std::lock_guard lock(state_->stopping);
  if (!state_->serving.joinable()) return;
  state_->stop_request.request();
  state_->serving.join();
}

Status Agent::run_until_signal() {
  return run_until_signal(AgentLifecycle{});
}

Status Agent::run_until_signal(const AgentLifecycle& lifecycle) {
  if (state_->started) return make_error(ErrorCode::bad_request, "the agent is already started");
  state_->started = true;
  SignalFd signals;
  try {
    agent::run_agent(state_->config, signals, lifecycle.serving, lifecycle.draining,
                     {lifecycle.alive_interval, lifecycle.alive});
  } catch (const agent::AgentFailure& e) {
    return e.error;
  } catch (const std::exception& e) {
    // Typically a bind failure: the port is taken or the address is not ours.
    return make_error(ErrorCode::service_unavailable, e.what());
  }
  return {};
}

}  // namespace rpclb
