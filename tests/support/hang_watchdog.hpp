// HangWatchdog: a GoogleTest listener that ends the test program, naming the
// test, when one test runs past a bound. A hung test then fails at once and
// says it hung, instead of waiting out meson's timeout, where it reads as an
// ordinary failure (and a mutation that makes a test hang looks caught:
// scripts/mutate reports "hung" when it sees the line this prints).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace rpclb::testing {

class HangWatchdog : public ::testing::EmptyTestEventListener {
 public:
  explicit HangWatchdog(std::chrono::seconds limit) : limit_(limit) {}
  ~HangWatchdog() override {
    {
      std::lock_guard lock(mutex_);
      running_ = false;
    }
    changed_.notify_all();
  }

  void OnTestStart(const ::testing::TestInfo& test) override {
    {
      std::lock_guard lock(mutex_);
      current_ = std::string(test.test_suite_name()) + "." + test.name();
      ++generation_;
    }
    changed_.notify_all();
  }
  void OnTestEnd(const ::testing::TestInfo&) override {
    {
      std::lock_guard lock(mutex_);
      current_.clear();
      ++generation_;
    }
    changed_.notify_all();
  }

 private:
  void watch() {
    std::unique_lock lock(mutex_);
    while (running_) {
      if (current_.empty()) {
        changed_.wait(lock);
        continue;
      }
      const auto watched = generation_;
      if (changed_.wait_for(lock, limit_, [&] { return !running_ || generation_ != watched; })) continue;
      std::fprintf(stderr, "\nHANG: %s has run for %lld s, past the bound of a test; ending the test program\n",
                   current_.c_str(), static_cast<long long>(limit_.count()));
      std::fflush(stderr);
      std::abort();
    }
  }

  const std::chrono::seconds limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string current_;
  unsigned long generation_ = 0;
  bool running_ = true;
  // Last: it starts once everything it reads is there, and is joined first.
  std::jthread thread_{[this] { watch(); }};
};

}  // namespace rpclb::testing
