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
    auto found = queues_.find(connection);
    if (found == queues_.end()) {
      found = queues_.try_emplace(std::string(connection)).first;
    } else if (found->second.empty()) {
      --idle_;
    }
    if (found->second.empty()) turns_.push_back(&*found);
    found->second.push_back(std::move(item));
    ++size_;
  }

  // The oldest item of the connection whose turn it is; nullopt when empty.
  std::optional<T> pop() {
    if (turns_.empty()) return std::nullopt;
    auto* connection = turns_.front();
    turns_.pop_front();
    T item = std::move(connection->second.front());
    connection->second.pop_front();
    if (connection->second.empty()) {
      ++idle_;
      forget_idle();
    } else {
      turns_.push_back(connection);
    }
    --size_;
    return item;
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  using Queues = std::unordered_map<std::string, std::deque<T>, StringHash, std::equal_to<>>;
  // A connection whose queue empties keeps it, so a caller's next batch
  // finds it ready (a std::deque allocates as it is made and frees as it
  // goes); past this many such queues, all of them are let go.
  static constexpr std::size_t kIdleQueues = 16;

  void forget_idle() {
    if (idle_ <= kIdleQueues) return;
    std::erase_if(queues_, [](const auto& entry) { return entry.second.empty(); });
    idle_ = 0;
  }

  Queues queues_;
  // Connections with items waiting, next first: their entries in queues_,
  // which stay where they are while they have items (the map's nodes do
  // not move, and only empty queues are erased).
  std::deque<typename Queues::value_type*> turns_;
  std::size_t idle_ = 0;  // queues kept empty
  std::size_t size_ = 0;
};

}  // namespace rpclb::agent
