// FairQueue: requests read and waiting for their turn, one first-in
// first-out queue per caller connection, taken from the connections in turn.
// A connection's backlog so delays another connection's next request by one
// round at most, however much it sent: the agent reads everything that
// arrives at once (agent/inflight_budget.hpp says why), so ZeroMQ's fair
// queueing no longer orders the work, this does.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/text.hpp"

namespace rpclb::agent {

template <typename T>
class FairQueue {
 public:
  void push(std::string_view connection, T item) {
    const auto found = queues_.try_emplace(std::string(connection)).first;
    if (found->second.empty()) turns_.push_back(found->first);
    found->second.push_back(std::move(item));
    ++size_;
  }

  // The oldest item of the connection whose turn it is; nullopt when empty.
  std::optional<T> pop() {
    if (turns_.empty()) return std::nullopt;
    auto connection = std::move(turns_.front());
    turns_.pop_front();
    const auto found = queues_.find(connection);
    T item = std::move(found->second.front());
    found->second.pop_front();
    if (found->second.empty()) {
      queues_.erase(found);
    } else {
      turns_.push_back(std::move(connection));
    }
    --size_;
    return item;
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  std::unordered_map<std::string, std::deque<T>, StringHash, std::equal_to<>> queues_;
  std::deque<std::string> turns_;  // connections with items waiting, next first
  std::size_t size_ = 0;
};

}  // namespace rpclb::agent
