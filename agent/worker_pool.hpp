// WorkerPool: runs calls off the agent's event loop so one slow call never
// blocks others. Jobs go in through a locked queue; each finished job comes
// back to the event loop as one message on an inproc socket:
//
//   [ ticket (8 bytes), outcome (1 byte), reply body ]
//
// The outcome is 0 when the call succeeded, else 1 + its ErrorCode (for the
// metrics); the body is empty for a cast (no reply).
//
// The event loop keeps who asked (the ROUTER envelope) under the ticket, so
// it can answer every caller even when it gives up on a job (shutdown).
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/function_table.hpp"
#include "common/membership.hpp"
#include "common/protocol.hpp"

namespace rpclb::agent {

// A reply's outcome, as the metrics count it: nullopt when it succeeded,
// else its error code; and as the one byte of a completion message.
std::optional<ErrorCode> failure_code(const protocol::CallReply& reply);
std::uint8_t outcome_byte(std::optional<ErrorCode> code);
// nullopt for 0 and for a byte no ErrorCode gives (read as internal).
std::optional<ErrorCode> outcome_from_byte(std::uint8_t byte);

struct Job {
  std::uint64_t ticket = 0;  // the event loop's handle on this call
  protocol::CallRequest request;
  Clock::time_point deadline;
  // The functions as they were when the call was accepted: a reload
  // (SIGHUP) replaces the agent's table, never one a call runs from.
  std::shared_ptr<const FunctionTable> functions;
};

class WorkerPool {
 public:
  // Workers connect to `completion_endpoint` (an inproc PULL the caller binds).
  WorkerPool(zmq::context_t& context, std::string completion_endpoint, std::size_t threads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // stops: running handlers see their stop token, then threads join

  void submit(Job job);
  // Jobs submitted and not yet taken by a worker; safe from any thread.
  std::uint32_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  void run(std::stop_token stop);

  zmq::context_t& context_;
  const std::string completion_endpoint_;
  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<Job> queue_;
  std::atomic<std::uint32_t> waiting_{0};
  std::vector<std::jthread> threads_;
};

}  // namespace rpclb::agent
