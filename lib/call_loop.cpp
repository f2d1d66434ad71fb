#include "lib/call_loop.hpp"

#include <algorithm>
#include <iterator>

namespace rpclb {
namespace {

// How long the loop sleeps with nothing to do before it looks again; a
// submission or a deadline wakes it sooner.
constexpr std::chrono::seconds kIdleWait{1};

// A call still open this long past its deadline was lost by the loop's own
// bookkeeping (every path ends a call by its deadline): it is ended then,
// so no caller, and no Client's destructor waiting for it, waits for ever.
constexpr std::chrono::seconds kLostAfter{1};

}  // namespace

CallLoop::CallLoop(Balancer& balancer, std::mutex& balancer_mutex)
    : balancer_(balancer), balancer_mutex_(balancer_mutex), context_(balancer.context()) {
  const auto transport = balancer.transport({});
  pipeline_ = std::make_unique<RpcPipeline>(context_, transport.curve, transport.connect_timeout);
  thread_ = std::thread([this] { run(); });
}

CallLoop::~CallLoop() {
  closing_ = true;
  wake();
  thread_.join();
}

void CallLoop::wake() {
  wake_.signal();
}

void CallLoop::submit(std::unique_ptr<Call> submitted) {
  submitted->attempts.may_wait = false;
  if (std::this_thread::get_id() == thread_.get_id()) {
    // From a completion: taken after this turn, with no lock or wake-up (and
    // no recursion, whatever the completion does on failure).
    from_loop_.push_back(std::move(submitted));
    return;
  }
  bool was_empty = false;
  {
    std::lock_guard lock(submitted_mutex_);
    was_empty = submitted_.empty();
    submitted_.push_back(std::move(submitted));
  }
  // One wake-up per batch: while the loop has not taken the queue yet, it
  // will see this call with the others.
  if (was_empty) wake();
}

void CallLoop::take_submitted(bool woken) {
  // The two vectors trade buffers each turn, so neither is allocated again.
  taking_.swap(from_loop_);
  if (woken) {
    wake_.take();
    std::lock_guard lock(submitted_mutex_);
    std::move(submitted_.begin(), submitted_.end(), std::back_inserter(taking_));
    submitted_.clear();
  }
  for (auto& call : taking_) {
    const auto serial = next_serial_++;
    spare_calls_.insert(calls_, serial, std::move(call));
    aim_and_send(serial);
  }
  taking_.clear();
}

void CallLoop::aim_and_send(std::uint64_t serial) {
  try {
    aim_and_send_unguarded(serial);
  } catch (const std::exception& e) {
    // A socket or allocation failure: the call hears it, the loop goes on.
    end(serial, make_error(ErrorCode::internal, std::string("rpclb client: ") + e.what()));
  }
}

void CallLoop::aim_and_send_unguarded(std::uint64_t serial) {
  auto& call = *calls_.at(serial);
  while (true) {
    Status aimed;
    {
      std::lock_guard lock(balancer_mutex_);
      aimed = balancer_.aim(call.attempts);
    }
    if (!aimed) {
      // No member yet: look again shortly rather than block the loop.
      if (call.attempts.worth_waiting()) {
        parked_.push_back({Clock::now() + kMemberPollInterval, serial});
        return;
      }
      end(serial, Result<CallOutcome>(aimed.error()));
      return;
    }
    auto submitted = protocol::can_carry(call.attempts.request, call.attempts.member);
    if (submitted) {
      submitted = pipeline_->submit(
          call.attempts.member.endpoint, call.attempts.request, call.attempts.attempt_deadline,
          [this, serial](Result<protocol::CallReply>&& reply) { attempt_ended(serial, std::move(reply)); });
    }
    if (submitted) return;
    // Refused before sending (too large, an unusable endpoint): the same
    // judgement as any attempt's end.
    std::optional<Result<CallOutcome>> ended;
    {
      std::lock_guard lock(balancer_mutex_);
      ended = balancer_.conclude(call.attempts, submitted.error());
    }
    if (ended) {
      end(serial, std::move(*ended));
      return;
    }
  }
}

void CallLoop::attempt_ended(std::uint64_t serial, Result<protocol::CallReply>&& reply) {
  auto found = calls_.find(serial);
  if (found == calls_.end()) return;  // ended already (a failure while sending)
  // Built where it stays: no outcome is moved on the way.
  auto ended = [&]() -> std::optional<Result<CallOutcome>> {
    try {
      std::lock_guard lock(balancer_mutex_);
      return balancer_.conclude(found->second->attempts, std::move(reply));
    } catch (const std::exception& e) {
      return make_error(ErrorCode::internal, std::string("rpclb client: ") + e.what());
    }
  }();
  if (ended) {
    end(serial, std::move(*ended));
  } else {
    aim_and_send(serial);
  }
}

void CallLoop::end(std::uint64_t serial, Result<CallOutcome>&& outcome) {
  auto found = calls_.find(serial);
  if (found == calls_.end()) return;
  auto node = calls_.extract(found);
  auto call = std::move(node.mapped());
  spare_calls_.keep(std::move(node));
  call->ended(std::move(outcome));
}

void CallLoop::end_lost_calls() {
  const auto now = Clock::now();
  if (now < next_lost_check_) return;
  next_lost_check_ = now + kIdleWait;
  std::vector<std::uint64_t> lost;
  for (const auto& [serial, call] : calls_) {
    if (call->attempts.deadline + kLostAfter < now) lost.push_back(serial);
  }
  for (const auto serial : lost) {
    end(serial, make_error(ErrorCode::request_timeout,
                           "rpclb client: the call was still open past its deadline, and was ended (a fault in the "
                           "client; please report it)"));
  }
}

void CallLoop::run() {
  while (true) {
    auto until = Clock::now() + kIdleWait;
    for (const auto& parked : parked_) until = std::min(until, parked.until);
    if (!from_loop_.empty()) until = Clock::now();
    bool woken = true;
    try {
      woken = pipeline_->turn(until, wake_.fd());
    } catch (const std::exception& e) {
      // The transport itself failed (not one member): every call in flight
      // hears it rather than wait, and the loop goes on for the next ones.
      pipeline_->abandon_all(std::string("the client's transport failed: ") + e.what());
    }
    take_submitted(woken || closing_);
    if (!parked_.empty()) {
      const auto now = Clock::now();
      std::vector<Parked> due;
      std::erase_if(parked_, [&](const Parked& parked) {
        if (parked.until > now) return false;
        due.push_back(parked);
        return true;
      });
      for (const auto& parked : due) aim_and_send(parked.serial);
    }
    end_lost_calls();
    if (closing_ && calls_.empty() && from_loop_.empty()) {
      std::lock_guard lock(submitted_mutex_);
      if (submitted_.empty()) return;
    }
  }
}

}  // namespace rpclb
