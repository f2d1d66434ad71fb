// HubLinks: whether the announcer's connection to each hub is up, told to
// the operator. An agent that cannot reach a hub is invisible to every
// caller that asks that hub, and nothing else would say so.
//
//   hub_unreachable  (warn) no connection to the hub for kQuietHeartbeats
//                    heartbeats, from the start or since it was lost
//   hub_reachable    (info) connected again after such a warning
//
// A ZeroMQ socket monitor reports each connection's events; a lost link is
// noticed by the ZMTP heartbeats (common/zmq_helpers.hpp link_liveness).
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/logger.hpp"
#include "agent/reactor.hpp"
#include "common/endpoint.hpp"
#include "common/socket_monitor.hpp"

namespace rpclb::agent {

class HubLinks {
 public:
  static constexpr int kQuietHeartbeats = 3;

  // Watches `socket`, which connects to the announce socket of each of `hubs`.
  HubLinks(Reactor& reactor, zmq::context_t& context, zmq::socket_t& socket, const std::vector<BusAddress>& hubs,
           std::chrono::milliseconds heartbeat, const Logger& log);
  HubLinks(const HubLinks&) = delete;
  HubLinks& operator=(const HubLinks&) = delete;

 private:
  struct Link {
    std::string bus;  // the hub as the operator wrote it
    bool up = false;
    Clock::time_point down_since;
    bool warned = false;
  };
  void on_event();
  void check();

  SocketMonitor monitor_;
  std::chrono::milliseconds quiet_;
  const Logger& log_;
  std::map<std::string, Link, std::less<>> links_;  // by announce endpoint
};

}  // namespace rpclb::agent
