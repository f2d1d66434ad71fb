#include "lib/call_attempts.hpp"

#include <thread>

#include "common/msgpack_walk.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb {

bool CallAttempts::worth_waiting() const {
  return nobody_matched && failed.empty() && Clock::now() + kMemberPollInterval < stop_waiting;
}

Status valid_function(std::string_view function) {
  if (protocol::is_valid_function_name(function)) return {};
  return make_error(ErrorCode::bad_request, "function must be MODULE.FUNCTION, got '" + std::string(function) + "'");
}

Status begin_call(const BalancerParts& parts, CallAttempts& call, std::string_view function, std::string args_msgpack,
                  protocol::CallMode mode, Clock::time_point deadline, const std::optional<std::string>& key) {
  if (auto valid = valid_function(function); !valid) return valid;
  // Bounded as an agent reads them: what it would refuse is not sent.
  if (const auto walked = walk_value(args_msgpack); walked.fault != WalkedValue::Fault::none) {
    return make_error(ErrorCode::bad_request, "the argument array " + fault_text(walked.fault) + "; nothing was sent");
  }
  call.request.mode = mode;
  call.request.function = function;
  call.request.args_msgpack = std::move(args_msgpack);
  call.deadline = deadline;
  call.key = key;
  call.stop_waiting = std::min(deadline, Clock::now() + parts.candidates.wait_for_member());
  return {};
}

Status aim(BalancerParts& parts, CallAttempts& call, std::mt19937_64& ids) {
  auto found = call.may_wait ? parts.candidates.find(call.deadline, call.failed)
                             : parts.candidates.find_now(call.deadline, call.failed);
  call.nobody_matched = found && found->matching().empty();
  if (call.nobody_matched) found = parts.candidates.nobody_matches(call.failed);
  const auto purpose = call.attempt == 0 ? Purpose::first_attempt : Purpose::retry;
  auto chosen = found ? parts.selector.choose_one(parts.memory, *found, call.key, purpose, call.deadline)
                      : Result<Member>(found.error());
  if (!chosen) {
    // Nobody else has the function: the last member's answer stands.
    if (call.not_found) {
      const auto& before = call.history_before_not_found;
      if (before.empty()) return *call.not_found;
      return make_error(ErrorCode::not_found, call.not_found->message + " (after" + before + ")");
    }
    if (call.history.empty()) return chosen.error();
    return make_error(chosen.error().code, chosen.error().message + " (tried:" + call.history + ")");
  }
  call.member = std::move(chosen).value();
  // One reading of the clock for the attempt's start, its deadline and the
  // time it tells the agent (what is left of that deadline).
  const auto now = Clock::now();
  call.attempt_started = now;
  // Retrying after timeouts needs time left over: each attempt then gets an
  // equal share of what remains. Otherwise one attempt may use it all.
  call.attempt_deadline = call.deadline;
  if (parts.retry.retry_on_timeout) {
    call.attempt_deadline = now + (call.deadline - now) / (parts.retry.retries - call.attempt + 1);
  }
  call.request.id = ids();
  call.request.request_id = parts.trace.request_id();
  call.id_dropped = !protocol::address_to(call.request, call.member);
  call.request.timeout_ms = static_cast<std::uint32_t>(remaining(call.attempt_deadline, now).count());
  call.skipped_ejected = parts.selector.take_skipped();
  return {};
}

std::optional<Result<CallOutcome>> conclude(BalancerParts& parts, CallAttempts& call,
                                            Result<protocol::CallReply>&& reply) {
  // Only policies that count selections took one to give back. A cast is
  // released at once: its completion is not tracked (the model leaked one
  // count per cast).
  const bool holds = parts.memory.holds_selections();
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - call.attempt_started);
  const Ended ended{call.member, reply, took};
  if (auto settled = parts.outcomes.settle(parts.memory, {&ended, 1}, holds, call.request.mode, call.deadline);
      !settled) {
    return settled.error();
  }
  const bool served = reply && reply->kind != protocol::CallReply::Kind::error;
  if (served && !parts.trace.on()) {
    // The call ends here, and its member moves into the outcome.
    return CallOutcome{std::move(call.member), std::move(reply->value_msgpack), took};
  }
  auto outcome = reply ? outcome_of(call.member, std::move(reply).value(), took) : Result<CallOutcome>(reply.error());
  parts.trace.report(call.member, call.attempt + 1, outcome, took, std::move(call.skipped_ejected),
                     parts.outcomes.take_ejected_until(call.member.name), call.id_dropped);
  if (outcome) return outcome;

  // service_unavailable, from the transport or the agent, and not_found (the
  // member lacks the function, as mid-rollout) mean the request never ran
  // there; a timeout means it may have.
  const auto& error = outcome.error();
  const bool never_ran = error.code == ErrorCode::service_unavailable || error.code == ErrorCode::not_found;
  const bool may_repeat = error.code == ErrorCode::request_timeout && parts.retry.retry_on_timeout;
  if ((!never_ran && !may_repeat) || call.attempt >= parts.retry.retries || Clock::now() >= call.deadline) {
    if (call.history.empty()) return outcome;
    return make_error(error.code, error.message + " (after" + call.history + ")");
  }
  call.failed.insert(call.member.name);
  call.not_found.reset();
  if (error.code == ErrorCode::not_found) {
    call.not_found = error;
    call.history_before_not_found = call.history;
  }
  call.history += " " + call.member.name + ": " + error.message + ";";
  ++call.attempt;
  return std::nullopt;
}

Result<CallOutcome> run_call(BalancerParts& parts, const SendRequest& send, CallAttempts call, std::mt19937_64& ids,
                             std::mutex* parts_mutex) {
  if (parts_mutex) call.may_wait = false;
  auto hold = [&] { return parts_mutex ? std::unique_lock(*parts_mutex) : std::unique_lock<std::mutex>(); };
  while (true) {
    Status aimed;
    {
      auto lock = hold();
      aimed = aim(parts, call, ids);
    }
    if (!aimed) {
      if (!call.worth_waiting()) return aimed.error();
      std::this_thread::sleep_for(kMemberPollInterval);
      continue;
    }
    const auto carried = protocol::can_carry(call.request, call.member);
    auto reply = carried ? send(call.member.endpoint, call.request, call.attempt_deadline)
                         : Result<protocol::CallReply>(carried.error());
    std::optional<Result<CallOutcome>> ended;
    {
      auto lock = hold();
      ended = conclude(parts, call, std::move(reply));
    }
    if (ended) return std::move(*ended);
  }
}

}  // namespace rpclb
