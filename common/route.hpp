// What this host's routing table says about a remote host, learned without
// sending a packet: connect(2) on a UDP socket only looks the route up.
//
// The agent uses it to pick the address other hosts reach it at (the source
// address of its route to a hub), and the client to tell "no route to host"
// apart from "connection refused" when a connection attempt fails.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "rpclb/error.hpp"

namespace rpclb {

// The local address packets to `host` (a name or an IPv4/IPv6 literal) leave
// from. service_unavailable when the host does not resolve or the routing
// table has no usable route to it (unreachable, blackhole, prohibited).
Result<std::string> route_source(std::string_view host);

// An IPv4 or IPv6 socket address's host as endpoints write it: 10.0.0.5, or
// [fd00::5] in brackets.
std::string address_text(const sockaddr* address);

// True for 127.0.0.0/8, ::1, "localhost", and names that resolve only to those
// (Debian maps the host's own name to 127.0.1.1).
bool is_loopback_host(std::string_view host);

// True for the hosts a bind uses to mean "every interface": *, 0.0.0.0, [::].
bool is_wildcard_host(std::string_view host);

// Whether a socket binding or connecting to `endpoint` must speak IPv6
// (ZeroMQ's ZMQ_IPV6): for an IPv6 address in brackets, for *, which then
// takes both families ([::] with IPv4 mapped; ZeroMQ falls back to IPv4 on a
// host without IPv6), and for a name with no IPv4 address. Not for an IPv4
// address, nor a name that has one: with the option on, ZeroMQ binds
// 127.0.0.1 as [::ffff:127.0.0.1], and resolves a name to its IPv6 address
// alone, which a service listening on IPv4 only would not answer.
bool wants_ipv6(std::string_view endpoint);

}  // namespace rpclb
