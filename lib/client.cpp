// rpclb::Client over Balancer: option translation and type conversion only.
#include "rpclb/client.hpp"

#include <mutex>

#include "common/curve.hpp"
#include "common/endpoint.hpp"
#include "common/option_ranges.hpp"
#include "lib/balancer.hpp"
#include "lib/balancer_settings.hpp"
#include "lib/call_loop.hpp"
#include "lib/idle_tender.hpp"

namespace rpclb {
namespace {

// Socket and allocation failures surface as exceptions deep inside; the API
// promises a Result, so they become `internal` errors here.
template <typename Operation>
auto without_exceptions(Operation operation) -> decltype(operation()) {
  try {
    return operation();
  } catch (const std::exception& e) {
    return Error{ErrorCode::internal, std::string("rpclb client: ") + e.what()};
  }
}

// The wire carries arguments as an array (fixarray, array 16, array 32).
bool is_array(const Payload& payload) {
  const auto first = static_cast<unsigned char>(payload.msgpack().front());
  return (first & 0xf0) == 0x90 || first == 0xdc || first == 0xdd;
}

Status check_arguments(const Payload& arguments) {
  if (is_array(arguments)) return {};
  return make_error(ErrorCode::bad_request,
                    "call arguments must be an array (rpclb::args(...)), got " + arguments.json());
}

Result<Reply> reply_of(Result<CallOutcome>&& outcome) {
  if (!outcome) return outcome.error();
  auto value = Payload::from_msgpack(std::move(outcome->value_msgpack));
  if (!value) return make_error(ErrorCode::internal, outcome->member.name + " returned an unreadable result");
  return Reply{std::move(outcome->member), std::move(value).value()};
}

Result<Member> member_of(Result<CallOutcome>&& outcome) {
  if (!outcome) return outcome.error();
  return std::move(outcome->member);
}

// Runs a caller's completion. One that throws has nobody to tell, and must
// not take the I/O thread (and every other call in flight) with it.
template <typename T>
void report_to(const std::function<void(Result<T>)>& done, Result<T>&& result) {
  try {
    done(std::move(result));
  } catch (...) {  // NOLINT(bugprone-empty-catch): documented in client.hpp
  }
}

// A completion that reports to a promise (the future-returning overloads),
// as a lambda: a CallLoop::CallWith, or a std::function of either signature,
// holds it as it is.
template <typename T>
auto promised() {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  auto done = [promise](Result<T>&& result) { promise->set_value(std::move(result)); };
  return std::pair{std::move(future), std::move(done)};
}

// The ranges rpclb's flags and config files allow (common/option_ranges.hpp).
Status check_ranges(const ClientOptions& options) {
  using namespace client_ranges;
  const auto& memory = options.failure_memory;
  const std::pair<const OptionRange&, std::int64_t> checks[] = {
      {kTimeoutMs, options.timeout.count()},
      {kBusTimeoutMs, options.bus_timeout.count()},
      {kConnectTimeoutMs, options.connect_timeout.count()},
      {kRetries, options.retries},
      {kEjectAfterTimeouts, memory.eject_after_timeouts},
      {kEjectBaseMs, memory.eject_base.count()},
      {kEjectMaxMs, memory.eject_max.count()},
      {kMaxEjectedPercent, memory.max_ejected_percent},
      {kRetryBudgetPercent, memory.retry_budget_percent},
      {kMinRetriesPerSecond, memory.min_retries_per_second},
      {kSelectionTtlS, memory.selection_ttl.count()},
  };
  for (const auto& [range, value] : checks) {
    if (auto checked = check_signed_range(range, value); !checked) return checked;
  }
  return {};
}

}  // namespace

struct Client::State {
  explicit State(Balancer balancer, std::chrono::milliseconds timeout)
      : balancer(std::move(balancer)), timeout(timeout) {}

  Clock::time_point deadline(const CallOptions& options) const {
    return Clock::now() + options.timeout.value_or(timeout);
  }

  // One call or cast, its arguments checked, begun in `call` (a fresh one).
  Status begin(CallAttempts& call, std::string_view function, const Payload& arguments, protocol::CallMode mode,
               const CallOptions& options) {
    return without_exceptions([&]() -> Status {
      if (auto checked = check_arguments(arguments); !checked) return checked;
      std::lock_guard lock(mutex);
      return balancer.begin_call(call, function, arguments.msgpack(), mode, deadline(options), options.key);
    });
  }

  // Runs it and waits. A thread with the direct path to itself runs it on
  // its own thread (the latency of one request and reply, no hand-off to
  // the I/O thread and back); while another thread has it, the call goes
  // through the I/O thread, pipelined with the others.
  Result<CallOutcome> wait_for(std::string_view function, const Payload& arguments, protocol::CallMode mode,
                               const CallOptions& options) {
    std::unique_lock direct(direct_path, std::try_to_lock);
    if (!direct) {
      auto [future, done] = promised<CallOutcome>();
      invoke(call_with(std::move(done)), function, arguments, mode, options);
      return future.get();
    }
    CallAttempts call;
    if (auto begun = begin(call, function, arguments, mode, options); !begun) return begun.error();
    return without_exceptions([&] {
      start_tending();
      return balancer.run(std::move(call), &mutex);
    });
  }

  // From the first call on the direct path, its connections are looked after
  // between calls too.
  void start_tending() {
    std::call_once(tender_started, [&] {
      tender_ = std::make_unique<IdleTender>(
          direct_path, [this] { balancer.tend_connections(); }, kTendInterval);
    });
  }

  // A call whose end `done` hears, in one allocation.
  template <typename Done>
  static std::unique_ptr<CallLoop::Call> call_with(Done done) {
    return std::make_unique<CallLoop::CallWith<Done>>(std::move(done));
  }

  // Starts `call` on the I/O thread; its ended() hears how it ended (on
  // that thread, or here if it could not start).
  void invoke(std::unique_ptr<CallLoop::Call> call, std::string_view function, const Payload& arguments,
              protocol::CallMode mode, const CallOptions& options) {
    auto begun = begin(call->attempts, function, arguments, mode, options);
    CallLoop* running = nullptr;
    if (begun) {
      try {
        running = &loop();
      } catch (const std::exception& e) {
        begun = make_error(ErrorCode::internal, std::string("rpclb client: cannot start its I/O thread: ") + e.what());
      }
    }
    if (!begun) return call->ended(Result<CallOutcome>(begun.error()));
    running->submit(std::move(call));
  }

  CallLoop& loop() {
    std::call_once(loop_started, [&] { loop_ = std::make_unique<CallLoop>(balancer, mutex); });
    return *loop_;
  }

  std::mutex mutex;  // a Balancer chooses and records for one operation at a time
  // The Balancer's own connections (Balancer::run), for one waiting call at a time.
  std::mutex direct_path;
  Balancer balancer;
  std::chrono::milliseconds timeout;

 private:
  // How often the direct path's connections are looked after between calls.
  static constexpr std::chrono::milliseconds kTendInterval{1000};

  std::once_flag tender_started;
  std::unique_ptr<IdleTender> tender_;  // from the first direct call on; goes before the balancer
  std::once_flag loop_started;
  std::unique_ptr<CallLoop> loop_;  // declared last: it goes first, the balancer after
};

Result<Client> Client::create(ClientOptions options) {
  return without_exceptions([&]() -> Result<Client> { return create_checked(std::move(options)); });
}

Result<Client> Client::create_checked(ClientOptions options) {
  if (options.group.empty()) return make_error(ErrorCode::bad_request, "a group name is required");
  if (auto checked = check_ranges(options); !checked) return checked.error();
  auto bus = resolve_bus(options.bus, kDefaultBus);
  if (!bus) return bus.error();
  for (const auto& endpoint : *bus) {
    if (auto address = bus_address(endpoint); !address) return address.error();
  }
  auto curve = load_client_curve(options.curve_secret_file, options.curve_server_key_file,
                                 "curve_secret_file and curve_server_key_file");
  if (!curve) return curve.error();

  const auto timeout = options.timeout;
  auto created =
      Balancer::create(balancer_options(std::move(options), std::move(bus).value(), std::move(curve).value()));
  if (!created) return created.error();
  return Client(std::make_unique<State>(std::move(created).value(), timeout));
}

Client::Client(std::unique_ptr<State> state) : state_(std::move(state)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Result<std::vector<Member>> Client::members() {
  return without_exceptions([&]() -> Result<std::vector<Member>> {
    std::lock_guard lock(state_->mutex);
    auto found = state_->balancer.members(state_->deadline({}));
    if (!found) return found.error();
    return std::move(found).value();
  });
}

Result<Member> Client::select(const CallOptions& options) {
  auto chosen = select_n(1, options);
  if (!chosen) return chosen.error();
  return std::move(chosen->front());
}

Result<std::vector<Member>> Client::select_n(std::size_t count, const CallOptions& options) {
  return without_exceptions([&]() -> Result<std::vector<Member>> {
    std::lock_guard lock(state_->mutex);
    auto chosen = state_->balancer.select(count, state_->deadline(options), options.key);
    if (!chosen) return chosen.error();
    return std::move(chosen).value();
  });
}

Status Client::release(std::string_view node) {
  return without_exceptions([&]() -> Status {
    std::lock_guard lock(state_->mutex);
    auto released = state_->balancer.release(std::string(node));
    if (!released) return released.error();
    return {};
  });
}

Result<Reply> Client::call(std::string_view function, const Payload& arguments, const CallOptions& options) {
  return reply_of(state_->wait_for(function, arguments, protocol::CallMode::call, options));
}

Result<Member> Client::cast(std::string_view function, const Payload& arguments, const CallOptions& options) {
  return member_of(state_->wait_for(function, arguments, protocol::CallMode::cast, options));
}

std::future<Result<Reply>> Client::call_async(std::string_view function, const Payload& arguments,
                                              const CallOptions& options) {
  auto [future, done] = promised<Reply>();
  call_async(function, arguments, options, std::move(done));
  return std::move(future);
}

std::future<Result<Member>> Client::cast_async(std::string_view function, const Payload& arguments,
                                               const CallOptions& options) {
  auto [future, done] = promised<Member>();
  cast_async(function, arguments, options, std::move(done));
  return std::move(future);
}

void Client::call_async(std::string_view function, const Payload& arguments, const CallOptions& options,
                        std::function<void(Result<Reply>)> done) {
  auto reported = [done = std::move(done)](Result<CallOutcome>&& outcome) {
    report_to(done, reply_of(std::move(outcome)));
  };
  state_->invoke(State::call_with(std::move(reported)), function, arguments, protocol::CallMode::call, options);
}

void Client::cast_async(std::string_view function, const Payload& arguments, const CallOptions& options,
                        std::function<void(Result<Member>)> done) {
  auto reported = [done = std::move(done)](Result<CallOutcome>&& outcome) {
    report_to(done, member_of(std::move(outcome)));
  };
  state_->invoke(State::call_with(std::move(reported)), function, arguments, protocol::CallMode::cast, options);
}

}  // namespace rpclb
