#include "agent/worker_pool.hpp"

#include "common/zmq_helpers.hpp"

namespace rpclb::agent {

std::optional<ErrorCode> failure_code(const protocol::CallReply& reply) {
  if (reply.kind != protocol::CallReply::Kind::error) return std::nullopt;
  return reply.error.code;
}

std::uint8_t outcome_byte(std::optional<ErrorCode> code) {
  return code ? static_cast<std::uint8_t>(1 + static_cast<int>(*code)) : 0;
}

std::optional<ErrorCode> outcome_from_byte(std::uint8_t byte) {
  if (byte == 0) return std::nullopt;
  // internal is the last ErrorCode: past it, no code wrote the byte.
  if (byte - 1 > static_cast<int>(ErrorCode::internal)) return ErrorCode::internal;
  return static_cast<ErrorCode>(byte - 1);
}

WorkerPool::WorkerPool(zmq::context_t& context, std::string completion_endpoint, std::size_t threads)
    : context_(context), completion_endpoint_(std::move(completion_endpoint)) {
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
    waiting_.store(static_cast<std::uint32_t>(queue_.size()), std::memory_order_relaxed);
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
      waiting_.store(static_cast<std::uint32_t>(queue_.size()), std::memory_order_relaxed);
    }
    const auto reply = run_call(*job.functions, job.request, job.deadline, stop);
    const bool wants_reply = job.request.mode == protocol::CallMode::call;
    const auto outcome = outcome_byte(failure_code(reply));
    completions.send(zmq::buffer(&job.ticket, sizeof job.ticket), zmq::send_flags::sndmore);
    completions.send(zmq::buffer(&outcome, 1), zmq::send_flags::sndmore);
    completions.send(wants_reply ? zmq::message_t(protocol::encode_reply(reply)) : zmq::message_t(),
                     zmq::send_flags::none);
  }
}

}  // namespace rpclb::agent
