#include "agent/addressing.hpp"

#include "common/endpoint.hpp"
#include "common/route.hpp"

namespace rpclb::agent {
namespace {

// Every interface, IPv6 and IPv4 both (bind_or_throw sets ZMQ_IPV6 for *).
constexpr std::string_view kEveryInterfaceListen = "tcp://*:*";

std::string host_of(const std::string& endpoint) {
  auto tcp = tcp_endpoint(endpoint);
  return tcp ? tcp->host : "";
}

// The first hub that other hosts reach (a wildcard --serve-bus counts: it
// serves them), or "" when every hub is on this host's loopback.
std::string first_remote_hub(const std::vector<std::string>& bus, const std::string& serve_bus) {
  for (const auto& hub : bus) {
    const auto host = host_of(hub);
    if (!host.empty() && !is_wildcard_host(host) && !is_loopback_host(host)) return hub;
  }
  if (!serve_bus.empty()) {
    const auto host = host_of(serve_bus);
    if (!host.empty() && (is_wildcard_host(host) || !is_loopback_host(host))) return serve_bus;
  }
  return "";
}

// Loopback in the family of the first hub: [::1] beside an IPv6 hub (a host
// may have no IPv4 but loopback's), else 127.0.0.1.
std::string loopback_for(const std::vector<std::string>& bus, const std::string& serve_bus) {
  const auto first = bus.empty() ? serve_bus : bus.front();
  return is_ipv6_host(host_of(first)) ? "[::1]" : "127.0.0.1";
}

}  // namespace

Result<Addressing> plan_addressing(const std::string& listen, const std::string& advertise,
                                   const std::vector<std::string>& bus, const std::string& serve_bus) {
  const auto remote_hub = first_remote_hub(bus, serve_bus);
  Addressing plan;
  if (remote_hub.empty()) {
    plan.advertise_host = loopback_for(bus, serve_bus);
    plan.listen = listen.empty() ? "tcp://" + plan.advertise_host + ":*" : listen;
    return plan;
  }
  plan.listen = listen.empty() ? std::string(kEveryInterfaceListen) : listen;
  const auto why = " while announcing to " + remote_hub + ", a hub other hosts reach: ";
  if (!advertise.empty()) {
    if (is_loopback_host(host_of(advertise))) {
      return make_error(ErrorCode::bad_request, "--advertise " + advertise + " is a loopback endpoint" + why +
                                                    "callers there would reach their own host. Advertise an address "
                                                    "other hosts reach this one at");
    }
    return plan;
  }
  if (plan.listen.starts_with("ipc://")) {
    return make_error(ErrorCode::bad_request, "--listen " + plan.listen + " is reachable from this host only" + why +
                                                  "listen on tcp:// (the default) or give --advertise");
  }
  const auto listen_host = host_of(plan.listen);
  if (!is_wildcard_host(listen_host)) {
    if (is_loopback_host(listen_host)) {
      return make_error(ErrorCode::bad_request, "--listen " + plan.listen + " is on loopback only" + why +
                                                    "callers there would reach their own host. Listen on every "
                                                    "interface (the default) or on an address other hosts reach");
    }
    plan.advertise_host = listen_host;
    return plan;
  }
  // The address our connection to that hub comes from is one it reaches us at.
  const auto hub_host = host_of(remote_hub);
  if (is_wildcard_host(hub_host)) {
    return make_error(ErrorCode::bad_request,
                      "this agent hosts a hub on every interface (" + serve_bus +
                          ") and announces to no hub on another host, so it cannot tell which address other hosts "
                          "reach it at: give --bus with this host's address (tcp://ADDRESS:PORT) or --advertise");
  }
  auto source = route_source(hub_host);
  if (!source) {
    return make_error(ErrorCode::service_unavailable, "cannot tell which address to announce to " + remote_hub + ": " +
                                                          source.error().message + " (give --advertise to choose it)");
  }
  plan.advertise_host = *source;
  return plan;
}

std::string advertised_endpoint(const Addressing& addressing, const std::string& advertise, const std::string& bound) {
  if (!advertise.empty()) return advertise;
  auto tcp = tcp_endpoint(bound);
  if (!tcp || !is_wildcard_host(tcp->host)) return bound;
  return "tcp://" + addressing.advertise_host + ":" + tcp->port;
}

}  // namespace rpclb::agent
