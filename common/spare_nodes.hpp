// SpareNodes: the nodes of entries erased from a node-based container
// (std::unordered_map, std::set, ...), kept for the next entries, so that a
// steady stream of inserts and erases, as of requests in flight, allocates
// nothing for its bookkeeping. It keeps at most as many as the container
// ever held at once, up to a cap.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace rpclb {

template <typename Container>
class SpareNodes {
 public:
  using Node = typename Container::node_type;

  // Inserts a map's entry, in a kept node where there is one.
  template <typename Key, typename Mapped>
  void insert(Container& into, Key&& key, Mapped&& mapped) {
    if (spares_.empty()) {
      into.emplace(std::forward<Key>(key), std::forward<Mapped>(mapped));
      return;
    }
    auto node = take();
    node.key() = std::forward<Key>(key);
    node.mapped() = std::forward<Mapped>(mapped);
    into.insert(std::move(node));
  }

  // Inserts a set's value, in a kept node where there is one.
  template <typename Value>
  void insert(Container& into, Value&& value) {
    if (spares_.empty()) {
      into.emplace(std::forward<Value>(value));
      return;
    }
    auto node = take();
    node.value() = std::forward<Value>(value);
    into.insert(std::move(node));
  }

  // Keeps the node of an erased entry (extract()); an empty one is ignored.
  void keep(Node node) {
    if (!node.empty() && spares_.size() < kMostSpares) spares_.push_back(std::move(node));
  }

 private:
  static constexpr std::size_t kMostSpares = 1024;

  Node take() {
    auto node = std::move(spares_.back());
    spares_.pop_back();
    return node;
  }

  std::vector<Node> spares_;
};

}  // namespace rpclb
