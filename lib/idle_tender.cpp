#include "lib/idle_tender.hpp"

namespace rpclb {

IdleTender::IdleTender(std::mutex& busy, std::function<void()> tend, std::chrono::milliseconds interval)
    : busy_(busy), tend_(std::move(tend)), interval_(interval), thread_([this](std::stop_token stop) { run(stop); }) {}

void IdleTender::run(const std::stop_token& stop) {
  while (true) {
    {
      std::unique_lock lock(sleep_mutex_);
      sleep_.wait_for(lock, stop, interval_, [] { return false; });
    }
    if (stop.stop_requested()) return;
    std::unique_lock held(busy_, std::try_to_lock);
    if (!held) continue;
    try {
      tend_();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a failed look is retried next round; calls report their own
    }
  }
}

}  // namespace rpclb
