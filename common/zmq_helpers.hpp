// Small ZeroMQ conveniences shared by the agent and the client side.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"

namespace rpclb {

// How rpclb's TCP connections notice a dead peer and come back, so that
// recovery after a network partition does not depend on how long it lasted:
// without this, a connection cut for a minute waits out TCP's retransmission
// backoff (tens of seconds) after the link is back.
namespace link_liveness {
// Every socket (make_socket): TCP keepalive, answered by the peer's kernel
// whatever its process is doing, so a busy or stalled peer is never cut off;
// a silent one is found after idle + probes x interval (8 s).
inline constexpr std::chrono::seconds kKeepaliveIdle{5};
inline constexpr std::chrono::seconds kKeepaliveInterval{1};
inline constexpr int kKeepaliveProbes = 3;

// The long-lived connecting sockets whose peers must be found again after a
// partition, an agent's announcer and a watcher's updates
// (reconnect_promptly), also:
// - ZMTP heartbeats: a PING after 1 s of silence; with nothing heard for 5 s
//   the connection is closed and made again;
// - a TCP connect with no answer for 500 ms is abandoned and tried again
//   (while a link is down each SYN is lost, and the kernel's own retries back
//   off to minutes), reconnecting at most 500 ms apart.
// Not request sockets: a connection closed as silent loses the reply of a
// call in flight, and keepalive, answered by the kernel, never closes the
// connection of a peer that is merely busy.
inline constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
inline constexpr std::chrono::milliseconds kHeartbeatTimeout{5000};
inline constexpr std::chrono::milliseconds kHeartbeatTtl{5000};
inline constexpr std::chrono::milliseconds kConnectTimeout{500};
inline constexpr std::chrono::milliseconds kReconnectIntervalMax{500};
}  // namespace link_liveness

// Every rpclb socket refuses frames larger than the protocol allows, keeps
// TCP keepalive on, and by default drops unsent messages on close so a
// process never hangs on exit.
zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type, int linger_ms = 0);

// link_liveness's heartbeats, connect timeout and reconnect cap, for the
// long-lived connecting sockets.
void reconnect_promptly(zmq::socket_t& socket);

inline std::string_view as_view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

// Every bind and connect of a TCP endpoint goes through these two, which
// set ZMQ_IPV6 for that endpoint (route.hpp, wants_ipv6): on for an IPv6
// address or *, off for an IPv4 one. The option is read at each bind or
// connect, so one socket may reach hubs of both families.
void connect_to(zmq::socket_t& socket, const std::string& endpoint);
// Binds, turning ZeroMQ's terse error into one that names the endpoint and
// its purpose ("cannot bind bus snapshot socket at tcp://...: Address already in use").
void bind_or_throw(zmq::socket_t& socket, const std::string& endpoint, std::string_view purpose);

// Milliseconds until `deadline`, clamped at zero, for zmq::poll.
std::chrono::milliseconds remaining(Clock::time_point deadline, Clock::time_point now = Clock::now());

// Receives every part of one message (non-blocking: call after poll says ready).
bool receive_multipart(zmq::socket_t& socket, std::vector<zmq::message_t>& parts);

// Sends a reply on a ROUTER that has ZMQ_ROUTER_MANDATORY: the caller's
// envelope `routing`, then `body`, without waiting. ZeroMQ takes the whole
// message or none of it, and then this says why, instead of the reply
// vanishing: "caller_gone" (it disconnected first, as after its own
// timeout) or "caller_not_reading" (its queue is full: it sends and does
// not read). nullopt: sent.
std::optional<std::string_view> send_routed(zmq::socket_t& router, std::vector<zmq::message_t>& routing,
                                            zmq::message_t& body);

}  // namespace rpclb
