// IdleTender: a thread that looks after connections nobody is using. Every
// `interval` it runs `tend` unless `busy` is held (then whoever holds it is
// using the connections, and reads their events itself). A long-lived Client
// uses one so that, idle beside a dead member, its connection is closed
// rather than reconnecting (and raising monitor events) for the client's life.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace rpclb {

class IdleTender {
 public:
  IdleTender(std::mutex& busy, std::function<void()> tend, std::chrono::milliseconds interval);
  IdleTender(const IdleTender&) = delete;
  IdleTender& operator=(const IdleTender&) = delete;
  // Stops the thread and waits for it: at most one `tend` still running.
  ~IdleTender() = default;

 private:
  void run(const std::stop_token& stop);

  std::mutex& busy_;
  std::function<void()> tend_;
  std::chrono::milliseconds interval_;
  std::mutex sleep_mutex_;
  std::condition_variable_any sleep_;
  std::jthread thread_;  // declared last: stopped and joined first
};

}  // namespace rpclb
