// Where an agent listens for calls and which endpoint it announces: the rule
// that keeps a loopback endpoint from ever reaching a hub on another host
// (a caller there would reach its own 127.0.0.1, or nothing).
//
//   every hub on this host    listen on loopback by default, announce it
//                             ([::1] if the first hub is IPv6, else 127.0.0.1)
//   some hub on another host  listen on every interface (IPv6 and IPv4,
//                             tcp://*:*) by default, and
//                             announce the address this host's route to the
//                             first such hub leaves from: the address that
//                             hub, and the hosts beside it, reach us at
//
// Refused, with a message saying what to do instead: listening only on
// loopback, or --advertise naming a loopback host, while a hub is elsewhere;
// a wildcard --serve-bus with no other hub to learn an address from.
#pragma once

#include <string>
#include <vector>

#include "rpclb/error.hpp"

namespace rpclb::agent {

struct Addressing {
  std::string listen;  // what to bind
  // The host that replaces a wildcard in the bound endpoint when no
  // --advertise was given.
  std::string advertise_host;
};

// `listen` and `advertise` as given (empty: the defaults above); `bus` the
// hubs announced to; `serve_bus` the hub hosted here, if any.
Result<Addressing> plan_addressing(const std::string& listen, const std::string& advertise,
                                   const std::vector<std::string>& bus, const std::string& serve_bus);

// The endpoint to announce once `bound` (ZeroMQ's last endpoint) is known.
std::string advertised_endpoint(const Addressing& addressing, const std::string& advertise, const std::string& bound);

}  // namespace rpclb::agent
