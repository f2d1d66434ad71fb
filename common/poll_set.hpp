// PollSet: one wait on ZeroMQ sockets and file descriptors, and which of
// them became ready in it. The agent's reactor and the client side's poll
// loops (RpcPipeline::turn, fetch_members, the group watcher) each fill one
// for a turn. An item is named by what add() returned, never by arithmetic
// on positions; a wait that a handled signal interrupts (EINTR) is one in
// which nothing became ready, so each caller's deadlines are still looked at.
//
// A ZeroMQ socket is waited on through its ZMQ_FD and asked for its events
// (ZMQ_EVENTS: a poll and a getpid inside libzmq) when that descriptor
// stirs; before the wait too, unless the caller knows nothing was sent or
// received on it since a wait last asked it, because such an operation can
// take in the wake-up the descriptor would have shown.
#pragma once

#include <poll.h>
#include <zmq.hpp>

#include <chrono>
#include <cstddef>
#include <vector>

namespace rpclb {

class PollSet {
 public:
  using Item = std::size_t;
  // What the caller knows of a ZeroMQ socket since the last wait asked it.
  enum class Since { maybe_used, untouched };

  // A ZeroMQ socket and its ZMQ_FD, which stays the same for the socket's
  // life: whoever waits on a socket turn after turn reads it once (a
  // getsockopt is some 150 instructions, and a loop's turn adds two or
  // three sockets).
  struct Socket {
    explicit Socket(zmq::socket_t& socket) : socket(&socket), fd(socket.get(zmq::sockopt::fd)) {}
    zmq::socket_t* socket;
    int fd;
  };

  // Empties it for the next turn (its storage is kept).
  void clear() { items_.clear(); }
  Item add(const Socket& socket, short events = ZMQ_POLLIN, Since since = Since::maybe_used);
  Item add(zmq::socket_t& socket, short events = ZMQ_POLLIN, Since since = Since::maybe_used) {
    return add(Socket(socket), events, since);
  }
  Item add(int fd, short events = ZMQ_POLLIN);
  // Waits until an item is ready or `limit` passes (negative: no limit).
  void wait(std::chrono::milliseconds limit);
  bool readable(Item item) const { return (items_[item].revents & ZMQ_POLLIN) != 0; }
  bool writable(Item item) const { return (items_[item].revents & ZMQ_POLLOUT) != 0; }

 private:
  struct Entry {
    void* socket;  // nullptr: a plain descriptor
    int fd;        // what is polled: the socket's ZMQ_FD, or the descriptor
    short events;
    bool ask;  // the socket is asked before the wait
    short revents = 0;
  };
  std::vector<Entry> items_;
  std::vector<pollfd> polled_;
};

}  // namespace rpclb
