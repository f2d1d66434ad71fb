// CallLoop: the asynchronous client's engine. One thread turns an
// RpcPipeline (one connection per member, many requests in flight on each);
// any thread submits calls. Each call is stepped through the Balancer's own
// selection, retries and failure memory (aim and conclude, lib/call_attempts.hpp,
// under the lock the Client keeps for it), so it ends exactly as Balancer::call
// would have, and its completion runs on the loop's thread.
//
// After the Clone pattern's reactor (one thread, one poll over every socket
// and a wake-up, timers from the pending deadlines).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/event_fd.hpp"
#include "common/rpc_pipeline.hpp"
#include "common/spare_nodes.hpp"
#include "lib/balancer.hpp"

namespace rpclb {

class CallLoop {
 public:
  // `balancer` is shared with the Client's other operations, which hold
  // `balancer_mutex` while they use it; both outlive the loop.
  CallLoop(Balancer& balancer, std::mutex& balancer_mutex);
  CallLoop(const CallLoop&) = delete;
  CallLoop& operator=(const CallLoop&) = delete;
  // Lets every call submitted end (each by its deadline at the latest),
  // then stops the thread: nothing submitted is dropped.
  ~CallLoop();

  // A call and who hears how it ends. The caller begins the call in place
  // in its own allocation, which the loop keeps: a CallAttempts is large,
  // and moving it cost more than filling it. Its completion lives in the
  // same allocation (CallWith), not in one of its own.
  struct Call {
    virtual ~Call() = default;
    // Takes the outcome by rvalue reference: a CallOutcome (its Member's
    // four strings and list of groups) moved at every step on its way cost
    // more than the steps.
    virtual void ended(Result<CallOutcome>&& outcome) = 0;

    CallAttempts attempts;
  };
  // A Call whose end is told to `done`, any callable taking
  // Result<CallOutcome>&&.
  template <typename Done>
  struct CallWith final : Call {
    explicit CallWith(Done done) : done(std::move(done)) {}
    void ended(Result<CallOutcome>&& outcome) override { done(std::move(outcome)); }

    Done done;
  };

  // Thread-safe. The call's ended() runs exactly once, on the loop's thread;
  // it must not block (it may submit).
  void submit(std::unique_ptr<Call> call);

 private:
  struct Parked {
    Clock::time_point until;
    std::uint64_t serial;
  };

  void run();
  // Starts the calls submitted from completions, and (`woken`) from other threads.
  void take_submitted(bool woken);
  // Chooses the next member and sends, or ends the call.
  void aim_and_send(std::uint64_t serial);
  void aim_and_send_unguarded(std::uint64_t serial);
  // An attempt ended: retry (aim_and_send), or end the call.
  void attempt_ended(std::uint64_t serial, Result<protocol::CallReply>&& reply);
  void end(std::uint64_t serial, Result<CallOutcome>&& outcome);
  // Ends, once a second, the calls open past their deadline (call_loop.cpp: kLostAfter).
  void end_lost_calls();
  void wake();

  Balancer& balancer_;
  std::mutex& balancer_mutex_;
  zmq::context_t& context_;
  EventFd wake_;  // submissions waiting
  std::mutex submitted_mutex_;
  // Each call is handed on by pointer, never moved (Call).
  std::vector<std::unique_ptr<Call>> submitted_;  // guarded by submitted_mutex_
  std::atomic<bool> closing_{false};

  // The loop thread's own.
  std::unique_ptr<RpcPipeline> pipeline_;
  using CallsBySerial = std::unordered_map<std::uint64_t, std::unique_ptr<Call>>;
  CallsBySerial calls_;
  SpareNodes<CallsBySerial> spare_calls_;         // from calls that ended, for the next
  std::vector<std::unique_ptr<Call>> from_loop_;  // submitted by completions, to start
  std::vector<std::unique_ptr<Call>> taking_;     // being started by take_submitted
  std::uint64_t next_serial_ = 0;
  std::vector<Parked> parked_;  // calls waiting for a member to join
  Clock::time_point next_lost_check_;
  std::thread thread_;
};

}  // namespace rpclb
