#include "agent/agent.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "agent/addressing.hpp"
#include "agent/announcer.hpp"
#include "agent/builtins.hpp"
#include "agent/bus_hub.hpp"
#include "agent/fair_queue.hpp"
#include "agent/function_table.hpp"
#include "agent/host_load.hpp"
#include "agent/inflight_budget.hpp"
#include "agent/io_threads.hpp"
#include "agent/memory_release.hpp"
#include "agent/metrics.hpp"
#include "agent/metrics_server.hpp"
#include "agent/name_claim.hpp"
#include "agent/reactor.hpp"
#include "agent/worker_pool.hpp"
#include "agent/zap_authenticator.hpp"
#include "common/endpoint.hpp"
#include "common/host_name.hpp"
#include "common/text.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb::agent {
namespace {

using std::chrono::milliseconds;

// Calls without a timeout (and casts) still end some time.
constexpr milliseconds kLongestCall{3600 * 1000};

// "0.034": a duration in milliseconds, to the microsecond.
std::string milliseconds_text(Clock::duration took) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f",
                static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()) / 1000.0);
  return text;
}

// 15 hex digits, 60 random bits: a restart is told apart all the same, and
// the id fits in a std::string without an allocation (libstdc++ keeps 15
// characters in place), which every call's request and every copy of a
// Member would otherwise make.
std::string random_instance_id() {
  std::random_device seed;
  const auto bits = (std::uint64_t{seed()} << 32 | seed()) >> 4;
  char text[16];
  std::snprintf(text, sizeof text, "%015llx", static_cast<unsigned long long>(bits));
  return text;
}

// Splits a ROUTER message into its routing envelope and its one body frame.
// REQ and DEALER-with-delimiter peers send [id.., "", body]; a bare DEALER
// sends [id, body]. Anything else has no body we can answer.
std::optional<zmq::message_t> split_envelope(std::vector<zmq::message_t>& parts, std::vector<zmq::message_t>& routing) {
  routing.clear();
  if (parts.size() < 2) return std::nullopt;
  std::size_t delimiter = 0;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() == 0) {
      delimiter = i;
      break;
    }
  }
  if (delimiter == 0) {
    if (parts.size() != 2) return std::nullopt;
    routing.push_back(std::move(parts[0]));
    return std::move(parts[1]);
  }
  if (delimiter + 2 != parts.size()) return std::nullopt;
  routing.reserve(delimiter + 1);  // one allocation, not one per doubling
  for (std::size_t i = 0; i <= delimiter; ++i) routing.push_back(std::move(parts[i]));
  return std::move(parts.back());
}

// The ROUTER routing id of the connection a request came on.
std::string_view connection_of(const std::vector<zmq::message_t>& routing) {
  return {static_cast<const char*>(routing.front().data()), routing.front().size()};
}

// A reply as a ZeroMQ message that keeps its bytes counted against the
// budget until ZeroMQ frees it: once written to the connection, or dropped
// with it. No copy is made; the free runs on ZeroMQ's I/O thread.
zmq::message_t counted_message(std::string body, InflightBudget::Held held) {
  struct Owned {
    std::string body;
    InflightBudget::Held held;
  };
  auto owned = std::make_unique<Owned>(Owned{std::move(body), std::move(held)});
  zmq::message_t message(
      owned->body.data(), owned->body.size(), [](void*, void* hint) { delete static_cast<Owned*>(hint); }, owned.get());
  owned.release();
  return message;
}

// One agent's serving loop: its sockets, its calls in flight, its drain.
class AgentLoop {
 public:
  AgentLoop(const AgentConfig& config, StopSource& stop, OnDraining on_draining)
      : on_draining_(std::move(on_draining)),
        config_(config),
        log_(config.name, config.log_level),
        stop_(stop),
        facts_(std::make_shared<AgentFacts>()),
        metrics_(config.name, instance_, RPCLB_VERSION),
        host_load_(config.procfs),
        budget_(config.max_inflight_bytes),
        rpc_(make_socket(context_, zmq::socket_type::router, 1000)) {
    facts_->name = config.name;
    facts_->host = host_name();
    facts_->groups = config.groups;
    facts_->pid = ::getpid();
    facts_->started = Clock::now();
    facts_->version = RPCLB_VERSION;
    auto functions = make_functions(programs_);
    if (!functions) throw std::invalid_argument(functions.error().message);
    functions_ = std::move(functions).value();
  }

  void run(const OnServing& on_serving, const Liveness& liveness) {
    reactor_.on_readable(stop_.fd(), [this] { on_stop(); });
    if (config_.curve) {
      zap_.emplace(reactor_, context_, config_.curve->own.public_key, config_.curve->authorized, log_);
      secure_server(rpc_, config_.curve);
    }
    rpc_.set(zmq::sockopt::router_mandatory, 1);
    use_io_thread(rpc_, context_, kCallsIoThread);
    bind_or_throw(rpc_, config_.listen, "RPC socket");
    endpoint_ = advertised_endpoint({config_.listen, config_.advertise_host}, config_.advertise,
                                    rpc_.get(zmq::sockopt::last_endpoint));
    pool_.emplace(config_.workers);
    // The handlers that run for every call use the RPC socket alone
    // (Reactor::Reach): nothing else is asked again after them.
    const auto calls_only = Reactor::Reach::only(rpc_);
    reactor_.on_readable(
        pool_->completions_fd(), [this] { on_completions(); }, calls_only);
    reactor_.on_readable(
        rpc_, [this] { on_requests(); }, calls_only);
    // Requests read and not yet served are served on the next turn of the
    // loop, whether or not more arrive.
    reactor_.when_due(
        [this]() -> std::optional<Clock::time_point> {
          if (pending_.empty()) return std::nullopt;
          return Clock::now();
        },
        [this] {
          holding_replies_ = true;
          serve_pending();
          send_held_replies();
        },
        calls_only);
    reactor_.when_due([this] { return drain_deadline_; }, [this] { reactor_.stop(); });
    sample_host();
    reactor_.every(milliseconds(config_.heartbeat_ms), [this] {
      sample_host();
      budget_.sweep();
      memory_.holding(budget_.take_peak());
      memory_.holding(budget_.held());
    });
    if (config_.metrics_listen) {
      metrics_server_.emplace(*config_.metrics_listen,
                              [this] { return prometheus_text(metrics_.families(live_figures())); });
      log_.info("metrics_serving", {{"url", metrics_server_->url()}});
    }

    std::vector<BusAddress> hubs;
    for (const auto& bus : config_.bus) hubs.push_back(*bus_address(bus));
    if (config_.serve_bus) {
      hub_.emplace(reactor_, context_, *bus_address(*config_.serve_bus), config_.missed_heartbeats, log_, config_.curve,
                   metrics_);
      log_.info("hub_started", {{"bus", *config_.serve_bus}});
    }
    if (!config_.groups.empty()) {
      Member self{config_.name,         instance_,    endpoint_, config_.groups, config_.weight, 0,
                  config_.heartbeat_ms, RPCLB_VERSION};
      announcer_.emplace(
          reactor_, context_, hubs, std::move(self), config_.curve,
          [this] {
            return Announcer::Figures{in_flight(), facts_->cpu, facts_->load_average};
          },
          log_, metrics_);
      // Who holds our name is asked while we already serve (agent/name_claim.hpp).
      name_claimer_.emplace(reactor_, context_, config_, instance_, log_, *announcer_, [this](Error taken) {
        name_taken_ = std::move(taken);
        reactor_.stop();
      });
    }
    log_.info("serving", {{"endpoint", endpoint_},
                          {"groups", join(config_.groups, ",")},
                          {"functions", std::to_string(functions_->names().size())}});
    if (on_serving) on_serving(endpoint_);
    if (liveness.alive && liveness.interval.count() > 0) reactor_.every(liveness.interval, liveness.alive);
    reactor_.run();
    // Nothing reads the stop source from here on: a further signal during
    // the teardown below ends the process.
    stop_.tearing_down();
    refuse_pending();
    if (name_taken_) {
      log_.error("name_taken", {{"error", name_taken_->message}});
      throw AgentFailure(*name_taken_);
    }
    if (in_flight_calls_.empty()) {
      log_.info("stopped");
    } else {
      log_.warn("stopped", {{"abandoned_calls", std::to_string(in_flight_calls_.size())}});
      abandon_in_flight();
    }
  }

 private:
  // A call accepted and not yet answered: who to answer, and what to count.
  struct InFlightCall {
    std::vector<zmq::message_t> routing;
    std::uint64_t id = 0;  // the request's, which its reply carries back
    protocol::CallMode mode = protocol::CallMode::call;
    std::string function;
    std::string request_id;  // the caller's name for the call (--request-id), if traced
    Clock::time_point accepted;
    InflightBudget::Held request_bytes;  // the request, counted until it is answered
  };

  // A request read and counted against the budget, waiting for its turn.
  struct PendingRequest {
    std::vector<zmq::message_t> routing;
    zmq::message_t body;
    InflightBudget::Held bytes;
    Clock::time_point arrived;
  };

  // Every function served here: the built-ins, the allowlisted `programs`
  // and an embedding service's handlers.
  Result<std::shared_ptr<const FunctionTable>> make_functions(const std::vector<FunctionSpec>& programs) {
    auto table = std::make_shared<FunctionTable>();
    add_builtins(*table, facts_, [this] { return metrics_.families(live_figures()); });
    add_programs(*table, programs);
    if (auto merged = table->merge(config_.handlers); !merged) return merged.error();
    return std::shared_ptr<const FunctionTable>(std::move(table));
  }

  // SIGHUP: the functions file is read again. Calls already accepted finish
  // with the functions they were accepted under; a file that cannot be read
  // or used changes nothing, and the log says why.
  void reload_functions() {
    if (config_.functions_file.empty()) {
      log_.info("reload_skipped", {{"reason", "no functions file (--functions)"}});
      return;
    }
    auto failed = [&](const std::string& why) {
      log_.warn("functions_reload_failed",
                {{"file", config_.functions_file}, {"error", why}, {"kept", std::to_string(programs_.size())}});
    };
    auto programs = load_functions_file(config_.functions_file);
    if (!programs) return failed(programs.error().message);
    auto functions = make_functions(*programs);
    if (!functions) return failed(functions.error().message);
    std::vector<std::string> added;
    std::vector<std::string> removed;
    std::vector<std::string> changed;
    auto named = [](const std::vector<FunctionSpec>& specs, const std::string& name) {
      return std::find_if(specs.begin(), specs.end(), [&](const FunctionSpec& spec) { return spec.name == name; });
    };
    for (const auto& spec : *programs) {
      const auto before = named(programs_, spec.name);
      if (before == programs_.end()) {
        added.push_back(spec.name);
      } else if (!(*before == spec)) {
        changed.push_back(spec.name);
      }
    }
    for (const auto& spec : programs_) {
      if (named(*programs, spec.name) == programs->end()) removed.push_back(spec.name);
    }
    programs_ = std::move(programs).value();
    functions_ = std::move(functions).value();
    log_.info("functions_reloaded", {{"file", config_.functions_file},
                                     {"added", join(added, ",")},
                                     {"removed", join(removed, ",")},
                                     {"changed", join(changed, ",")},
                                     {"programs", std::to_string(programs_.size())}});
  }

  // The first stop drains; a second one, while draining, stops at once.
  // SIGHUP is no stop: it reloads the functions file.
  void on_stop() {
    const auto reason = stop_.take();
    if (reason.empty()) return;
    if (reason == kReloadSignal) {
      reload_functions();
      return;
    }
    if (drain_deadline_) {
      log_.warn("stopping_now", {{"reason", reason}, {"in_flight", std::to_string(in_flight())}});
      reactor_.stop();
      return;
    }
    log_.info("draining", {{"reason", reason}, {"in_flight", std::to_string(in_flight())}});
    if (announcer_) announcer_->leave();
    if (name_claimer_) name_claimer_->stop_asking();
    const auto now = Clock::now();
    drain_deadline_ = now + milliseconds(config_.drain_timeout_ms);
    draining_ = true;
    if (on_draining_) on_draining_();
    stop_when_drained();
  }

  void stop_when_drained() {
    if (drain_deadline_ && in_flight() == 0 && pending_.empty()) reactor_.stop();
  }

  // The host's figures, for the announcement and the metrics; a procfs that
  // cannot be read leaves them unknown (logged once).
  void sample_host() {
    auto figures = host_load_.sample();
    if (!figures && !host_figures_missing_) {
      host_figures_missing_ = true;
      log_.warn("host_load_unreadable", {{"procfs", config_.procfs}});
    }
    facts_->cpu = figures ? figures->cpu : protocol::kUnknownFigure;
    facts_->load_average = figures ? figures->load_average : protocol::kUnknownFigure;
  }

  // What a scrape reads at its moment; from any thread (the metrics server's).
  LiveFigures live_figures() const {
    LiveFigures live;
    live.in_flight = facts_->in_flight;
    live.queued = pool_ ? pool_->waiting() : 0;
    live.max_queue = config_.max_queue;
    live.inflight_bytes = budget_.held();
    live.max_inflight_bytes = budget_.limit();
    live.connections_at_share = budget_.connections_at_share();
    live.workers = config_.workers;
    live.draining = draining_;
    live.uptime_seconds = std::chrono::duration<double>(Clock::now() - facts_->started).count();
    if (const std::uint32_t cpu = facts_->cpu; cpu != protocol::kUnknownFigure) live.cpu = cpu;
    if (const std::uint32_t load = facts_->load_average; load != protocol::kUnknownFigure) live.load_average = load;
    return live;
  }

  // The name a call is counted under: only functions served here, so a
  // caller cannot grow the metrics with made-up names.
  std::string_view counted_name(const protocol::CallView& request) const {
    return functions_->find(request.function) ? request.function : std::string_view();
  }

  static std::string_view mode_name(protocol::CallMode mode) {
    return mode == protocol::CallMode::cast ? "cast" : "call";
  }

  // Calls handed to the pool and not yet answered.
  std::uint32_t in_flight() const { return static_cast<std::uint32_t>(in_flight_calls_.size()); }
  // sys.info reads the count from the workers' threads; the bus hears of a
  // material change within kFreshLoadInterval.
  void publish_in_flight() {
    facts_->in_flight = in_flight();
    if (announcer_) announcer_->load_changed();
  }

  void on_completions() {
    // As many as one turn of a socket takes (Turn::kMessages): the rest wait
    // for the next turn, after the other sockets had theirs.
    for (auto& done : pool_->take_completions(Turn::kMessages)) {
      auto call = in_flight_calls_.extract(done.ticket);
      if (call.empty()) continue;
      publish_in_flight();
      auto& ended = call.mapped();
      call_ended(ended, done.ending);
      if (ended.mode == protocol::CallMode::cast) continue;
      send_reply(ended.routing, std::move(done.reply), &ended.request_bytes);
    }
    stop_when_drained();
  }

  // Requests read and never served (the loop stopped first) are refused,
  // nothing run, so their callers may try another member at once.
  void refuse_pending() {
    while (auto pending = pending_.pop()) {
      if (const auto head = protocol::peek_call(as_view(pending->body))) {
        const std::string why = "node " + config_.name + " stopped before the call was run; nothing was run";
        refuse(pending->routing, protocol::CallView::of(*head), {ErrorCode::service_unavailable, why});
      }
    }
  }

  // Every caller still waiting hears `internal` now, instead of waiting out
  // its timeout for a reply that will never come. Workers are told to stop
  // when the pool goes; their late results find no caller.
  void abandon_in_flight() {
    for (auto& [ticket, call] : in_flight_calls_) {
      call_ended(call, {ErrorCode::internal, false});
      if (call.mode == protocol::CallMode::cast) continue;
      reply(call.routing,
            protocol::CallReply::failure(call.id, {ErrorCode::internal, "node " + config_.name +
                                                                            " stopped before the call finished; it "
                                                                            "may have run in part"}));
    }
    in_flight_calls_.clear();
    publish_in_flight();
  }

  // `request`, when the call's request is still counted, counts the reply
  // for its connection with no look-up of the connection.
  void send_reply(std::vector<zmq::message_t>& routing, std::string reply,
                  const InflightBudget::Held* request = nullptr) {
    auto held = request ? request->more(reply.size()) : budget_.hold(connection_of(routing), reply.size());
    auto body = counted_message(std::move(reply), std::move(held));
    if (holding_replies_) {
      held_replies_.push_back({std::move(routing), std::move(body)});
      routing.clear();
      return;
    }
    send_message(routing, body);
  }

  // ROUTER_MANDATORY (run()): a reply ZeroMQ cannot take is reported here
  // instead of vanishing.
  void send_message(std::vector<zmq::message_t>& routing, zmq::message_t& body) {
    if (const auto dropped = send_routed(rpc_, routing, body)) {
      log_.debug("reply_dropped", {{"reason", *dropped}});
      metrics_.reply_dropped(*dropped);
    }
  }

  // Replies made while a batch of requests is read go out together at its
  // end: ZeroMQ's I/O thread is woken once for them (one TCP write), not
  // once per reply, and a pipelining caller gets them in one read.
  void send_held_replies() {
    holding_replies_ = false;
    for (auto& [routing, body] : held_replies_) {
      send_message(routing, body);
      keep_routing(std::move(routing));
    }
    held_replies_.clear();
  }

  // A request's routing envelope, once its reply has gone, is kept for a
  // request still to be read: each envelope read allocated a vector of its
  // own, a call's largest allocation after its reply's.
  void keep_routing(std::vector<zmq::message_t>&& routing) {
    if (spare_routings_.size() >= kSpareRoutings) return;
    routing.clear();
    spare_routings_.push_back(std::move(routing));
  }
  std::vector<zmq::message_t> spare_routing() {
    if (spare_routings_.empty()) return {};
    auto routing = std::move(spare_routings_.back());
    spare_routings_.pop_back();
    return routing;
  }

  void reply(std::vector<zmq::message_t>& routing, const protocol::CallReply& reply,
             const InflightBudget::Held* request = nullptr) {
    send_reply(routing, protocol::encode_reply(reply), request);
  }

  void refuse(std::vector<zmq::message_t>& routing, const protocol::CallView& request, const Error& error) {
    // A traced call (one with a request id) is logged at info, with the id,
    // so a caller's --trace can be followed into this log; others at debug.
    const auto code = to_string(error.code);
    if (request.request_id.empty()) {
      log_.debug("request_refused", {{"function", request.function}, {"code", code}, {"error", error.message}});
    } else {
      log_.info("request_refused", {{"request_id", request.request_id},
                                    {"function", request.function},
                                    {"code", code},
                                    {"error", error.message}});
    }
    metrics_.call_ended(counted_name(request), mode_name(request.mode), to_string(error.code), std::nullopt);
    reply(routing, protocol::CallReply::failure(request.id, error));
  }

  void call_ended(const InFlightCall& call, const CallEnding& ending) {
    const auto took = Clock::now() - call.accepted;
    metrics_.call_ended(call.function, mode_name(call.mode), ending.label(), took);
    if (!call.request_id.empty()) {
      log_.info("request_done", {{"request_id", call.request_id},
                                 {"function", call.function},
                                 {"code", std::string(ending.label())},
                                 {"ms", milliseconds_text(took)}});
    }
  }

  // A call meant for another member (the caller's view holds an endpoint
  // that now, or from its host, belongs to someone else) runs nothing here.
  Status check_addressee(const protocol::CallView& request) const {
    if (request.member.empty()) return {};
    if (request.member == config_.name && (request.instance.empty() || request.instance == instance_)) return {};
    return make_error(ErrorCode::service_unavailable,
                      "the call was meant for " + std::string(request.member) +
                          (request.instance.empty() ? "" : " (instance " + std::string(request.instance) + ")") +
                          ", but " + endpoint_ + " is " + config_.name + " (instance " + instance_ +
                          "); nothing was run");
  }

  // Why a request was refused by the budget (--max-inflight-bytes).
  std::string at_capacity(InflightBudget::Verdict verdict, std::uint64_t request_bytes) const {
    const std::string held = std::to_string(budget_.held()) + " of " + std::to_string(budget_.limit());
    if (verdict == InflightBudget::Verdict::over_share) {
      return "node " + config_.name +
             " is at capacity for this connection: its calls and the replies it has not "
             "yet taken hold its share of --max-inflight-bytes (the agent holds " +
             held + " bytes); nothing was run";
    }
    return "node " + config_.name + " is at capacity: a request of " + std::to_string(request_bytes) +
           " bytes does not fit in what it holds (" + held + " bytes, --max-inflight-bytes); nothing was run";
  }

  void on_requests() {
    holding_replies_ = true;
    read_requests();
    serve_pending();
    send_held_replies();
  }

  // What has arrived, a turn's worth: counted against the budget and queued
  // for its turn, or refused at once. Reading costs a glance a request, so
  // ZeroMQ's own queues, which count messages and not bytes, stay short.
  void read_requests() {
    auto routing = spare_routing();
    const auto now = Clock::now();
    for (Turn turn; turn.more() && receive_multipart(rpc_, request_parts_);) {
      auto body = split_envelope(request_parts_, routing);
      if (!body) {
        log_.debug("request_dropped", {{"error", "no usable envelope"}});
        metrics_.frame_dropped();
        continue;
      }
      const auto connection = connection_of(routing);
      const std::uint64_t request_bytes = body->size();
      auto admitted = budget_.admit(connection, request_bytes);
      if (admitted.verdict != InflightBudget::Verdict::fits) {
        refuse_at_capacity(routing, *body, admitted.verdict);
        continue;
      }
      // `connection` views the routing frame, which stays where it is when
      // the vector holding it is moved into the queue.
      pending_.push(connection, PendingRequest{std::move(routing), std::move(*body), std::move(admitted.held), now});
      routing = spare_routing();
    }
    keep_routing(std::move(routing));
  }

  // A request past the budget: answered without decoding its arguments.
  void refuse_at_capacity(std::vector<zmq::message_t>& routing, const zmq::message_t& body,
                          InflightBudget::Verdict verdict) {
    auto head = protocol::peek_call(as_view(body));
    if (!head) {
      // Not a call: refused for what it is.
      const auto decoded = protocol::decode_as<protocol::CallRequest>(as_view(body));
      if (!decoded) return refuse_malformed(routing, as_view(body), decoded.error());
      head = *decoded;
    }
    metrics_.refused_at_capacity("max_inflight_bytes");
    refuse(routing, protocol::CallView::of(*head), {ErrorCode::service_unavailable, at_capacity(verdict, body.size())});
  }

  // Answered under the call's id when that much of it can be read (its
  // arguments are what is wrong, say), so its caller hears why at once
  // rather than waiting out its timeout.
  void refuse_malformed(std::vector<zmq::message_t>& routing, std::string_view body, const Error& error) {
    log_.debug("request_refused", {{"code", "bad_request"}, {"error", error.message}});
    metrics_.frame_refused();
    const auto head = protocol::peek_call(body);
    reply(routing, protocol::CallReply::failure(head ? head->id : 0, error));
  }

  // Requests read, a turn's worth, one connection after another.
  void serve_pending() {
    for (Turn turn; turn.more();) {
      auto next = pending_.pop();
      if (!next) break;
      serve(*next);
    }
    stop_when_drained();
  }

  // A traced call (one with a request id) at info, others at debug; its
  // fields are made only when the line is written.
  void log_accepted(const protocol::CallView& request) const {
    const bool traced = !request.request_id.empty();
    if (!log_.enabled(traced ? LogLevel::info : LogLevel::debug)) return;
    const auto timeout_ms = std::to_string(request.timeout_ms);
    if (!traced) {
      log_.debug("request_accepted",
                 {{"function", request.function}, {"mode", mode_name(request.mode)}, {"timeout_ms", timeout_ms}});
      return;
    }
    log_.info("request_accepted", {{"request_id", request.request_id},
                                   {"function", request.function},
                                   {"mode", mode_name(request.mode)},
                                   {"timeout_ms", timeout_ms}});
  }

  void serve(PendingRequest& pending) {
    auto& routing = pending.routing;
    const auto now = pending.arrived;
    // Views into the frame, which `pending` holds until this returns; a call
    // handed to the pool takes a copy. Its bytes are counted until it is answered.
    auto request = protocol::read_call(as_view(pending.body));
    if (!request) return refuse_malformed(routing, as_view(pending.body), request.error());
    const auto id = request->id;
    if (auto misaddressed = check_addressee(*request); !misaddressed) {
      refuse(routing, *request, misaddressed.error());
      return;
    }
    if (drain_deadline_) {
      refuse(routing, *request, {ErrorCode::service_unavailable, "node " + config_.name + " is draining"});
      return;
    }
    const Function* function = functions_->find(request->function);
    if (!function) {
      refuse(routing, *request,
             {ErrorCode::not_found, "node " + config_.name + " has no function " + std::string(request->function)});
      return;
    }
    if (auto checked = check_arguments(*function, *request); !checked) {
      refuse(routing, *request, checked.error());
      return;
    }
    if (in_flight() >= config_.max_queue) {
      metrics_.refused_at_capacity("max_queue");
      refuse(
          routing, *request,
          {ErrorCode::service_unavailable, "node " + config_.name + " is at capacity: " + std::to_string(in_flight()) +
                                               " calls in flight (--max-queue); nothing was run"});
      return;
    }
    const bool is_cast = request->mode == protocol::CallMode::cast;
    const auto budget = (is_cast || request->timeout_ms == 0) ? kLongestCall : milliseconds(request->timeout_ms);
    log_accepted(*request);
    if (is_cast) reply(routing, protocol::CallReply::accepted(id));
    InFlightCall call{std::move(routing),
                      id,
                      request->mode,
                      std::string(request->function),
                      std::string(request->request_id),
                      now,
                      {}};
    routing.clear();
    if (function->execution == Execution::on_event_loop) {
      auto done = run_call(*functions_, *request, now + budget, {});
      call_ended(call, ending_of(done));
      if (!is_cast) reply(call.routing, done, &pending.bytes);
      return;
    }
    call.request_bytes = std::move(pending.bytes);
    const auto ticket = next_ticket_++;
    in_flight_calls_.emplace(ticket, std::move(call));
    publish_in_flight();
    pool_->submit(Job{ticket, request->owned(), now + budget, functions_});
  }

  OnDraining on_draining_;
  const AgentConfig& config_;
  const std::string instance_ = random_instance_id();
  std::string endpoint_;  // as announced
  Logger log_;
  StopSource& stop_;
  std::shared_ptr<AgentFacts> facts_;
  AgentMetrics metrics_;
  HostLoad host_load_;
  InflightBudget budget_;
  // Memory freed once a flood of calls is over goes back to the system.
  MemoryRelease memory_;
  bool host_figures_missing_ = false;
  std::atomic<bool> draining_{false};
  std::vector<FunctionSpec> programs_{config_.functions};  // as last read from the functions file
  std::shared_ptr<const FunctionTable> functions_;
  zmq::context_t context_{kIoThreads};  // declared before every socket: destroyed after them
  Reactor reactor_;
  std::optional<ZapAuthenticator> zap_;
  zmq::socket_t rpc_;
  std::optional<WorkerPool> pool_;
  // After pool_ and metrics_, which a scrape reads: it stops serving first.
  std::optional<MetricsServer> metrics_server_;
  std::optional<BusHub> hub_;
  std::optional<Announcer> announcer_;
  // Replies held while a batch of requests is read (send_held_replies).
  struct HeldReply {
    std::vector<zmq::message_t> routing;
    zmq::message_t body;
  };
  bool holding_replies_ = false;
  // Requests read and not yet served, by connection (serve_pending).
  FairQueue<PendingRequest> pending_;
  std::vector<HeldReply> held_replies_;
  static constexpr std::size_t kSpareRoutings = Turn::kMessages;  // a turn's worth
  std::vector<std::vector<zmq::message_t>> spare_routings_;
  std::vector<zmq::message_t> request_parts_;  // the request being read: its frames
  // Calls handed to the pool and not yet answered, by ticket: who to answer.
  std::unordered_map<std::uint64_t, InFlightCall> in_flight_calls_;
  std::uint64_t next_ticket_ = 1;
  std::optional<Clock::time_point> drain_deadline_;
  // Declared last, so destroyed first: an asking in progress, which uses the
  // context, the log and the announcer, has finished before they go.
  std::optional<NameClaimer> name_claimer_;
  std::optional<Error> name_taken_;
};

}  // namespace

void run_agent(const AgentConfig& config, StopSource& stop, const OnServing& on_serving, const OnDraining& on_draining,
               const Liveness& liveness) {
  AgentLoop agent(config, stop, on_draining);
  agent.run(on_serving, liveness);
}

}  // namespace rpclb::agent
