// WorkerPool: runs calls off the agent's event loop so one slow call never
// blocks others. Jobs go in through a locked queue; finished ones come back
// through another, and an eventfd tells the event loop they are there (once
// per batch: it is written only when the queue was empty).
//
// The event loop keeps who asked (the ROUTER envelope) under the ticket, so
// it can answer every caller even when it gives up on a job (shutdown).
//
// Workers hold no ZeroMQ socket, and what they share with the pool is owned
// by both: a handler that ignores its stop token can then be left running
// when the pool goes (its result dropped), and never holds up the agent's
// stop or the closing of its ZeroMQ context.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/function_table.hpp"
#include "common/clock.hpp"
#include "common/protocol.hpp"

namespace rpclb::agent {

// How a call ended, as the agent's metrics and logs count it: its error
// code, or none; and, for a program that ran, whether it exited non-zero.
struct CallEnding {
  std::optional<ErrorCode> failure;
  bool exited_nonzero = false;

  // The `code` label and log field: "ok", "exit_nonzero" or the error code.
  std::string_view label() const;
};

// A reply's ending: its error code, if it is an error; `exit_status` is the
// program's, for a program function.
CallEnding ending_of(const protocol::CallReply& reply, int exit_status = 0);

struct Job {
  std::uint64_t ticket = 0;  // the event loop's handle on this call
  protocol::CallRequest request;
  Clock::time_point deadline;
  // The functions as they were when the call was accepted: a reload
  // (SIGHUP) replaces the agent's table, never one a call runs from.
  std::shared_ptr<const FunctionTable> functions;
};

// A job done, for the event loop.
struct Completion {
  std::uint64_t ticket = 0;
  CallEnding ending;
  std::string reply;  // the encoded reply; empty for a cast
};

class WorkerPool {
 public:
  // How long the pool, when it goes, waits for handlers that ignore their
  // stop token before it leaves them running.
  static constexpr std::chrono::milliseconds kAbandonAfter{1000};

  explicit WorkerPool(std::size_t threads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Stops: running handlers see their stop token; threads still running one
  // after kAbandonAfter are detached, and what they finish is dropped.
  ~WorkerPool();

  void submit(Job job);
  // Jobs submitted and not yet taken by a worker; safe from any thread.
  std::uint32_t waiting() const;

  // Readable while completions wait to be taken: poll it.
  int completions_fd() const;
  // Up to `most` completions, oldest first.
  std::vector<Completion> take_completions(std::size_t most);

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::vector<std::jthread> threads_;
};

}  // namespace rpclb::agent
