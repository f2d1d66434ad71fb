// PollSet: one wait on ZeroMQ sockets and file descriptors, and which of
// them became ready in it. The client side's poll loops (RpcPipeline::turn,
// fetch_members, the group watcher) each fill one for a turn. An item is
// named by what add() returned, never by arithmetic on positions; a wait
// that a handled signal interrupts (EINTR) is one in which nothing became
// ready, so each caller's deadlines are still looked at.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstddef>
#include <vector>

namespace rpclb {

class PollSet {
 public:
  using Item = std::size_t;

  // Empties it for the next turn (its storage is kept).
  void clear() { items_.clear(); }
  Item add(zmq::socket_t& socket, short events = ZMQ_POLLIN);
  Item add(int fd, short events = ZMQ_POLLIN);
  // Waits until an item is ready or `limit` passes (negative: no limit).
  void wait(std::chrono::milliseconds limit);
  bool readable(Item item) const { return (items_[item].revents & ZMQ_POLLIN) != 0; }
  bool writable(Item item) const { return (items_[item].revents & ZMQ_POLLOUT) != 0; }

 private:
  std::vector<zmq::pollitem_t> items_;
};

}  // namespace rpclb
