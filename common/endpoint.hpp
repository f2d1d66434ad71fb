// Endpoint helpers: parsing endpoint lists and deriving the three sockets of a
// bus hub from the one address users write.
//
// A bus endpoint names a hub by its snapshot socket; the hub's other two
// sockets sit next to it (the ZeroMQ guide's Clone pattern does the same):
//   tcp://H:P     snapshot ROUTER at P, announce SUB at P+1, updates PUB at P+2
//   ipc:///path   snapshot at /path, announce at /path.announce, updates at /path.updates
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rpclb/error.hpp"

namespace rpclb {

inline constexpr std::string_view kDefaultBus = "tcp://127.0.0.1:7400";
inline constexpr std::string_view kBusEnvironmentVariable = "RPCLB_BUS";

struct BusAddress {
  std::string snapshot;  // ROUTER: snapshot requests from clients
  std::string announce;  // SUB: agents' announcements arrive here
  std::string updates;   // PUB: the hub republishes every change here
};

Result<BusAddress> bus_address(std::string_view endpoint);

// "a,b, c" -> {"a","b","c"}; empty entries are rejected.
Result<std::vector<std::string>> split_endpoint_list(std::string_view list);

// The bus to use: the --bus flags if any, else $RPCLB_BUS (comma-separated),
// else `fallback`.
Result<std::vector<std::string>> resolve_bus(const std::vector<std::string>& flags, std::string_view fallback);

// Accepts tcp://HOST:PORT (PORT may be * when binding) and ipc://PATH.
// HOST is a name, an IPv4 address, an IPv6 address in brackets
// (tcp://[fd00::2]:7400) or, to bind, * (every interface, both families).
// An IPv6 address without brackets, or with a zone (%eth0), is refused.
Status validate_endpoint(std::string_view endpoint, bool for_bind);

// The host and port of tcp://HOST:PORT (an IPv6 host keeps its brackets);
// bad_request for anything else, ipc:// included.
struct TcpEndpoint {
  std::string host;
  std::string port;
};
Result<TcpEndpoint> tcp_endpoint(std::string_view endpoint);

// Where this host connects to reach a socket it binds at `endpoint`: a
// wildcard host becomes loopback, [::1] for [::], 127.0.0.1 for * and
// 0.0.0.0 (* takes IPv4 too, and every host has 127.0.0.1, while some have no
// IPv6); anything else is returned as it is.
std::string connectable(std::string_view bound);

// "fd00::2" (no brackets, no zone) is an IPv6 address.
bool is_ipv6_literal(std::string_view text);
// "[fd00::2]": the form an endpoint's host takes for IPv6.
bool is_ipv6_host(std::string_view host);

}  // namespace rpclb
