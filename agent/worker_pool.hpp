// WorkerPool: runs calls off the agent's event loop so one slow call never
// blocks others. Jobs go in through a locked queue; each finished job comes
// back to the event loop as one message on an inproc socket:
//
//   [ "R" | "D", routing frames..., reply body ]   R: send the reply, D: done, no reply (cast)
#pragma once

#include <zmq.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/function_table.hpp"
#include "common/membership.hpp"
#include "common/protocol.hpp"

namespace rpclb::agent {

struct Job {
  std::vector<zmq::message_t> routing;  // ROUTER envelope to answer on, delimiter included
  protocol::CallRequest request;
  Clock::time_point deadline;
};

inline constexpr std::string_view kReplyFlag = "R";
inline constexpr std::string_view kDoneFlag = "D";

class WorkerPool {
 public:
  // Workers connect to `completion_endpoint` (an inproc PULL the caller binds).
  WorkerPool(zmq::context_t& context, std::string completion_endpoint, const FunctionTable& functions,
             std::size_t threads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // stops: running handlers see their stop token, then threads join

  void submit(Job job);

 private:
  void run(std::stop_token stop);

  zmq::context_t& context_;
  const std::string completion_endpoint_;
  const FunctionTable& functions_;
  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<Job> queue_;
  std::vector<std::jthread> threads_;
};

}  // namespace rpclb::agent
