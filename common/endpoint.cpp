#include "common/endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdlib>

namespace rpclb {
namespace {

constexpr std::string_view kTcp = "tcp://";
constexpr std::string_view kIpc = "ipc://";

struct TcpParts {
  std::string_view host;
  std::string_view port;
};

// An IPv6 host is a literal in brackets ([::1], [fd00::2]); a zone
// (fe80::1%eth0) is refused: a link-local address means a different host on
// each link, so it cannot be announced to a group.
Status check_host(std::string_view endpoint, std::string_view host) {
  const auto shown = "endpoint '" + std::string(endpoint) + "'";
  if (!host.starts_with('[')) {
    if (host.find(':') != std::string_view::npos || host.find(']') != std::string_view::npos) {
      return make_error(ErrorCode::bad_request, shown + ": an IPv6 address goes in brackets, as in tcp://[::1]:PORT");
    }
    return {};
  }
  if (host.size() < 3 || !host.ends_with(']')) {
    return make_error(ErrorCode::bad_request, shown + " has an unclosed or empty [IPv6 address]");
  }
  const std::string literal(host.substr(1, host.size() - 2));
  if (literal.find('%') != std::string::npos) {
    return make_error(ErrorCode::bad_request,
                      shown + " has an IPv6 zone (%" + literal.substr(literal.find('%') + 1) +
                          "), which rpclb does not take: a link-local address names a different host on every link. "
                          "Use a global or unique local (fd00::/8) address");
  }
  if (!is_ipv6_literal(literal)) {
    return make_error(ErrorCode::bad_request, shown + ": [" + literal + "] is not an IPv6 address");
  }
  return {};
}

Result<TcpParts> split_tcp(std::string_view endpoint) {
  const auto rest = endpoint.substr(kTcp.size());
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return make_error(ErrorCode::bad_request, "endpoint '" + std::string(endpoint) + "' must be tcp://HOST:PORT");
  }
  const auto host = rest.substr(0, colon);
  if (host != "*") {
    if (auto valid = check_host(endpoint, host); !valid) return valid.error();
  }
  return TcpParts{host, rest.substr(colon + 1)};
}

Result<unsigned> parse_port(std::string_view endpoint, std::string_view text, unsigned max) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > max) {
    return make_error(ErrorCode::bad_request,
                      "endpoint '" + std::string(endpoint) + "' needs a port from 1 to " + std::to_string(max));
  }
  return port;
}

}  // namespace

std::string connectable(std::string_view bound) {
  auto tcp = tcp_endpoint(bound);
  if (!tcp) return std::string(bound);
  const auto& host = tcp->host;
  if (host == "[::]") return std::string(kTcp) + "[::1]:" + tcp->port;
  if (host == "*" || host == "0.0.0.0") return std::string(kTcp) + "127.0.0.1:" + tcp->port;
  return std::string(bound);
}

bool is_ipv6_literal(std::string_view text) {
  in6_addr parsed{};
  return ::inet_pton(AF_INET6, std::string(text).c_str(), &parsed) == 1;
}

bool is_ipv6_host(std::string_view host) {
  return host.size() > 2 && host.front() == '[' && host.back() == ']';
}

Status validate_endpoint(std::string_view endpoint, bool for_bind) {
  if (endpoint.starts_with(kIpc)) {
    if (endpoint.size() == kIpc.size()) return make_error(ErrorCode::bad_request, "ipc endpoint needs a path");
    return {};
  }
  if (!endpoint.starts_with(kTcp)) {
    return make_error(ErrorCode::bad_request,
                      "endpoint '" + std::string(endpoint) + "' must start with tcp:// or ipc://");
  }
  auto parts = split_tcp(endpoint);
  if (!parts) return parts.error();
  if (for_bind && parts->port == "*") return {};
  if (!for_bind && parts->host == "*") {
    return make_error(ErrorCode::bad_request, "cannot connect to wildcard host in '" + std::string(endpoint) + "'");
  }
  auto port = parse_port(endpoint, parts->port, 65535);
  if (!port) return port.error();
  return {};
}

Result<TcpEndpoint> tcp_endpoint(std::string_view endpoint) {
  if (!endpoint.starts_with(kTcp)) {
    return make_error(ErrorCode::bad_request, "endpoint '" + std::string(endpoint) + "' is not tcp://HOST:PORT");
  }
  auto parts = split_tcp(endpoint);
  if (!parts) return parts.error();
  return TcpEndpoint{std::string(parts->host), std::string(parts->port)};
}

Result<BusAddress> bus_address(std::string_view endpoint) {
  if (endpoint.starts_with(kIpc)) {
    if (auto status = validate_endpoint(endpoint, false); !status) return status.error();
    const std::string base(endpoint);
    return BusAddress{base, base + ".announce", base + ".updates"};
  }
  if (!endpoint.starts_with(kTcp)) {
    return make_error(ErrorCode::bad_request,
                      "bus endpoint '" + std::string(endpoint) + "' must start with tcp:// or ipc://");
  }
  auto parts = split_tcp(endpoint);
  if (!parts) return parts.error();
  // The hub also uses the next two ports.
  auto port = parse_port(endpoint, parts->port, 65533);
  if (!port) return port.error();
  const std::string prefix = std::string(kTcp) + std::string(parts->host) + ":";
  return BusAddress{prefix + std::to_string(*port), prefix + std::to_string(*port + 1),
                    prefix + std::to_string(*port + 2)};
}

Result<std::vector<std::string>> split_endpoint_list(std::string_view list) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) return make_error(ErrorCode::bad_request, "empty entry in endpoint list");
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

Result<std::vector<std::string>> resolve_bus(const std::vector<std::string>& flags, std::string_view fallback) {
  if (!flags.empty()) return flags;
  if (const char* env = std::getenv(kBusEnvironmentVariable.data()); env && *env) {
    auto list = split_endpoint_list(env);
    if (!list)
      return make_error(ErrorCode::bad_request, std::string(kBusEnvironmentVariable) + ": " + list.error().message);
    return list;
  }
  return std::vector<std::string>{std::string(fallback)};
}

}  // namespace rpclb
