#include "agent/worker_pool.hpp"

#include <msgpack.hpp>

#include "common/zmq_helpers.hpp"

namespace rpclb::agent {

WorkerPool::WorkerPool(zmq::context_t& context, std::string completion_endpoint, const FunctionTable& functions,
                       std::size_t threads)
    : context_(context), completion_endpoint_(std::move(completion_endpoint)), functions_(functions) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { run(stop); });
  }
}

WorkerPool::~WorkerPool() {
  for (auto& thread : threads_) thread.request_stop();
  ready_.notify_all();
  threads_.clear();  // joins
}

void WorkerPool::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void WorkerPool::run(std::stop_token stop) {
  // inproc delivers at once; the linger only matters if the loop is already gone.
  auto completions = make_socket(context_, zmq::socket_type::push, 1000);
  completions.connect(completion_endpoint_);
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      if (!ready_.wait(lock, stop, [this] { return !queue_.empty(); })) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto reply = execute(job, stop);
    const bool wants_reply = job.request.mode == protocol::CallMode::call;
    completions.send(zmq::buffer(wants_reply ? kReplyFlag : kDoneFlag), zmq::send_flags::sndmore);
    for (auto& frame : job.routing) completions.send(frame, zmq::send_flags::sndmore);
    completions.send(zmq::buffer(protocol::encode(reply)), zmq::send_flags::none);
  }
}

protocol::CallReply WorkerPool::execute(const Job& job, std::stop_token stop) const {
  const auto id = job.request.id;
  const bool is_call = job.request.mode == protocol::CallMode::call;
  if (is_call && Clock::now() >= job.deadline) {
    return protocol::CallReply::failure(id, {ErrorCode::request_timeout, "deadline passed while queued"});
  }
  const Handler* handler = functions_.find(job.request.function);
  if (!handler)
    return protocol::CallReply::failure(id, {ErrorCode::not_found, "unknown function " + job.request.function});
  try {
    const auto& bytes = job.request.args_msgpack;
    auto args = msgpack::unpack(bytes.data(), bytes.size());
    auto result = (*handler)(args.get(), CallContext{job.deadline, stop});
    if (!result) return protocol::CallReply::failure(id, result.error());
    return protocol::CallReply::result(id, std::move(result).value());
  } catch (const std::exception& e) {
    return protocol::CallReply::failure(id, {ErrorCode::internal, job.request.function + " failed: " + e.what()});
  }
}

}  // namespace rpclb::agent
