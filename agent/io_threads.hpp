// The agent's ZeroMQ context runs two I/O threads: one for its callers'
// connections (the RPC socket), one for the bus (its hub's sockets and its
// announcements). A flood of big calls keeps libzmq's thread busy reading
// them; on a thread of their own, a hub's answers, new connections to it and
// the agent's heartbeats never wait behind that work.
#pragma once

#include <zmq.hpp>

#include <cstdint>

namespace rpclb::agent {

inline constexpr int kIoThreads = 2;
// ZMQ_AFFINITY bit masks: which I/O thread a socket's connections use.
inline constexpr std::uint64_t kCallsIoThread = 1u << 0;
inline constexpr std::uint64_t kBusIoThread = 1u << 1;

// Puts `socket`'s connections on the I/O thread(s) of `mask`, if `context`
// has them (a hub on a context of its own, as in tests, may have one).
inline void use_io_thread(zmq::socket_t& socket, zmq::context_t& context, std::uint64_t mask) {
  if (context.get(zmq::ctxopt::io_threads) >= kIoThreads) socket.set(zmq::sockopt::affinity, mask);
}

}  // namespace rpclb::agent
