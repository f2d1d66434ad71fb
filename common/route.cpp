#include "common/route.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/endpoint.hpp"
#include "common/fd.hpp"

namespace rpclb {
namespace {

// "[::1]" -> "::1": the bracketed form endpoints use for IPv6 literals.
std::string bare_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { ::freeaddrinfo(info); }
};
using AddrInfo = std::unique_ptr<addrinfo, AddrInfoDeleter>;

Result<AddrInfo> resolve(const std::string& host, int family = AF_UNSPEC) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  // Port 9 (discard): connect() needs one; nothing is ever sent.
  if (const int error = ::getaddrinfo(host.c_str(), "9", &hints, &found); error != 0) {
    return make_error(ErrorCode::service_unavailable, "cannot resolve host " + host + ": " + ::gai_strerror(error));
  }
  return AddrInfo(found);
}

bool is_loopback_address(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&in6) || (IN6_IS_ADDR_V4MAPPED(&in6) && in6.s6_addr[12] == 127);
  }
  return false;
}

}  // namespace

std::string address_text(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
    return std::string("[") + text + "]";
  }
  ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  return text;
}

Result<std::string> route_source(std::string_view host) {
  const auto name = bare_host(host);
  auto resolved = resolve(name);
  if (!resolved) return resolved.error();
  std::string why = "no address";
  for (const addrinfo* candidate = resolved->get(); candidate; candidate = candidate->ai_next) {
    const Fd probe(::socket(candidate->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (probe.get() < 0) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    const bool routed = ::connect(probe.get(), candidate->ai_addr, candidate->ai_addrlen) == 0 &&
                        ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&local), &length) == 0;
    // EINVAL is what a blackhole route gives, EACCES a prohibit route.
    why = routed ? why : (errno == EINVAL ? "blackhole route" : std::strerror(errno));
    if (routed) return address_text(reinterpret_cast<const sockaddr*>(&local));
  }
  return make_error(ErrorCode::service_unavailable, "no route to host " + name + " (" + why + ")");
}

bool is_loopback_host(std::string_view host) {
  const auto name = bare_host(host);
  if (name == "localhost") return true;
  auto resolved = resolve(name);
  if (!resolved) return false;
  for (const addrinfo* candidate = resolved->get(); candidate; candidate = candidate->ai_next) {
    if (!is_loopback_address(candidate->ai_addr)) return false;
  }
  return true;
}

bool is_wildcard_host(std::string_view host) {
  return host == "*" || host == "0.0.0.0" || host == "[::]" || host == "::";
}

bool wants_ipv6(std::string_view endpoint) {
  auto tcp = tcp_endpoint(endpoint);
  if (!tcp) return false;  // ipc://, inproc://
  const auto& host = tcp->host;
  if (host == "*" || is_ipv6_host(host)) return true;
  // An IPv4 address, or a name with one (getaddrinfo answers a literal
  // without asking anyone).
  return !resolve(host, AF_INET).ok();
}

}  // namespace rpclb
