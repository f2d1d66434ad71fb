// What this host's routing table says about a remote host, learned without
// sending a packet: connect(2) on a UDP socket only looks the route up.
//
// The agent uses it to pick the address other hosts reach it at (the source
// address of its route to a hub), and the client to tell "no route to host"
// apart from "connection refused" when a connection attempt fails.
#pragma once

#include <string>
#include <string_view>

#include "rpclb/error.hpp"

namespace rpclb {

// The local address packets to `host` (a name or an IPv4/IPv6 literal) leave
// from. service_unavailable when the host does not resolve or the routing
// table has no usable route to it (unreachable, blackhole, prohibited).
Result<std::string> route_source(std::string_view host);

// True for 127.0.0.0/8, ::1, "localhost", and names that resolve only to those
// (Debian maps the host's own name to 127.0.1.1).
bool is_loopback_host(std::string_view host);

// True for the hosts a bind uses to mean "every interface": *, 0.0.0.0, [::].
bool is_wildcard_host(std::string_view host);

}  // namespace rpclb
