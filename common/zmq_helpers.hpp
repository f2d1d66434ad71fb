// Small ZeroMQ conveniences shared by the agent and the client side.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/membership.hpp"

namespace rpclb {

// How every rpclb TCP connection notices a dead peer and comes back, so that
// recovery after a network partition does not depend on how long it lasted:
// without these, a connection cut for a minute waits out TCP's retransmission
// backoff (tens of seconds) after the link is back.
namespace link_liveness {
// ZMTP heartbeats: a PING after this much silence; the connection is closed
// (and a connecting side reconnects) when nothing at all arrives for
// kHeartbeatTimeout; the peer is told to do the same after kHeartbeatTtl.
// Generous, because closing a live connection loses what is on it (a reply
// to a call in flight): with a 1.5 s timeout, a caller in the loaded test
// suite once never heard its reply. Recovery after a heal does not wait for
// it: by then the connection is long closed and reconnecting.
inline constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
inline constexpr std::chrono::milliseconds kHeartbeatTimeout{5000};
inline constexpr std::chrono::milliseconds kHeartbeatTtl{5000};
// For sockets that stay connected for a process's life (reconnect_promptly):
// a TCP connect that has had no answer for this long is abandoned and tried
// again: while a link is down, each SYN is lost, and the kernel's own retries
// back off to minutes.
inline constexpr std::chrono::milliseconds kConnectTimeout{500};
// Reconnection backs off from 100 ms to at most this.
inline constexpr std::chrono::milliseconds kReconnectIntervalMax{500};
}  // namespace link_liveness

// Every rpclb socket refuses frames larger than the protocol allows, keeps
// its connections alive as link_liveness says, and by default drops unsent
// messages on close so a process never hangs on exit.
zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type, int linger_ms = 0);

// Sets link_liveness::kConnectTimeout, for the long-lived connecting sockets
// whose peers must be found again after a partition (an agent's announcer, a
// watcher's updates). Not on request sockets: under load, ZeroMQ's connect
// timer once cut a connection whose call was in flight, and its reply was
// lost (a caller of a draining agent in 1 of 40 loaded runs); a request
// socket has the caller's own connect deadline instead (RpcOptions).
void reconnect_promptly(zmq::socket_t& socket);

inline std::string_view as_view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

// Binds, turning ZeroMQ's terse error into one that names the endpoint and
// its purpose ("cannot bind bus snapshot socket at tcp://...: Address already in use").
void bind_or_throw(zmq::socket_t& socket, const std::string& endpoint, std::string_view purpose);

// Milliseconds until `deadline`, clamped at zero, for zmq::poll.
std::chrono::milliseconds remaining(Clock::time_point deadline, Clock::time_point now = Clock::now());

// Receives every part of one message (non-blocking: call after poll says ready).
bool receive_multipart(zmq::socket_t& socket, std::vector<zmq::message_t>& parts);

}  // namespace rpclb
