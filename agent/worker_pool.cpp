#include "agent/worker_pool.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>

#include "common/fd.hpp"

namespace rpclb::agent {

std::string_view CallEnding::label() const {
  if (failure) return to_string(*failure);
  return exited_nonzero ? "exit_nonzero" : "ok";
}

CallEnding ending_of(const protocol::CallReply& reply, int exit_status) {
  if (reply.kind == protocol::CallReply::Kind::error) return {reply.error.code, false};
  return {std::nullopt, exit_status != 0};
}

// What the pool and each of its threads own together, so that a thread left
// running (a handler ignoring its stop token) never outlives what it uses.
struct WorkerPool::Shared {
  Shared() : completions_ready(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (completions_ready.get() < 0) throw std::runtime_error("eventfd failed");
  }

  void run(std::stop_token stop);
  void complete(Completion done);

  std::mutex mutex;
  std::condition_variable_any ready;
  std::deque<Job> jobs;
  std::atomic<std::uint32_t> waiting{0};
  // Readable exactly while `completions` is not empty (both changed under `mutex`).
  std::deque<Completion> completions;
  Fd completions_ready;
  bool abandoned = false;   // the pool is gone: results are dropped
  std::size_t running = 0;  // threads not yet returned
  std::condition_variable all_returned;
};

void WorkerPool::Shared::run(std::stop_token stop) {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex);
      if (!ready.wait(lock, stop, [this] { return !jobs.empty(); })) break;
      job = std::move(jobs.front());
      jobs.pop_front();
      waiting.store(static_cast<std::uint32_t>(jobs.size()), std::memory_order_relaxed);
    }
    int exit_status = 0;
    const auto reply = run_call(*job.functions, protocol::CallView::of(job.request), job.deadline, stop, &exit_status);
    const bool wants_reply = job.request.mode == protocol::CallMode::call;
    complete({job.ticket, ending_of(reply, exit_status), wants_reply ? protocol::encode_reply(reply) : std::string()});
  }
  std::lock_guard lock(mutex);
  --running;
  all_returned.notify_all();
}

void WorkerPool::Shared::complete(Completion done) {
  std::lock_guard lock(mutex);
  if (abandoned) return;
  completions.push_back(std::move(done));
  if (completions.size() == 1) {
    const std::uint64_t one = 1;
    static_cast<void>(::write(completions_ready.get(), &one, sizeof one));
  }
}

WorkerPool::WorkerPool(std::size_t threads) : shared_(std::make_shared<Shared>()) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    {
      std::lock_guard lock(shared_->mutex);
      ++shared_->running;
    }
    try {
      threads_.emplace_back([shared = shared_](std::stop_token stop) { shared->run(stop); });
    } catch (...) {
      std::lock_guard lock(shared_->mutex);
      --shared_->running;
      throw;
    }
  }
}

WorkerPool::~WorkerPool() {
  for (auto& thread : threads_) thread.request_stop();
  std::unique_lock lock(shared_->mutex);
  shared_->abandoned = true;
  shared_->all_returned.wait_for(lock, kAbandonAfter, [this] { return shared_->running == 0; });
  const bool all_returned = shared_->running == 0;
  lock.unlock();
  // A thread still in a handler keeps `shared_` alive, and uses nothing else.
  if (!all_returned) {
    for (auto& thread : threads_) thread.detach();
  }
  threads_.clear();  // joins, unless detached
}

void WorkerPool::submit(Job job) {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->jobs.push_back(std::move(job));
    shared_->waiting.store(static_cast<std::uint32_t>(shared_->jobs.size()), std::memory_order_relaxed);
  }
  shared_->ready.notify_one();
}

std::uint32_t WorkerPool::waiting() const {
  return shared_->waiting.load(std::memory_order_relaxed);
}

int WorkerPool::completions_fd() const {
  return shared_->completions_ready.get();
}

std::vector<Completion> WorkerPool::take_completions(std::size_t most) {
  std::vector<Completion> taken;
  std::lock_guard lock(shared_->mutex);
  while (!shared_->completions.empty() && taken.size() < most) {
    taken.push_back(std::move(shared_->completions.front()));
    shared_->completions.pop_front();
  }
  if (shared_->completions.empty()) {
    std::uint64_t count = 0;
    static_cast<void>(::read(shared_->completions_ready.get(), &count, sizeof count));
  }
  return taken;
}

}  // namespace rpclb::agent
