// Announcer: the agent's voice on the bus. An XPUB socket connected to every
// hub's announce socket. XPUB (rather than PUB) tells us when a hub
// subscribes, which happens when it first connects and again after it
// restarts: we announce at that moment, so a hub never waits a heartbeat to
// learn about us and a restarted hub converges without restarting agents.
#pragma once

#include <zmq.hpp>

#include <vector>

#include "common/curve.hpp"
#include "common/endpoint.hpp"
#include "common/protocol.hpp"

namespace rpclb::agent {

class Announcer {
 public:
  Announcer(zmq::context_t& context, const std::vector<BusAddress>& hubs, protocol::MemberInfo self,
            const std::optional<CurveConfig>& curve);

  zmq::socket_t& socket() { return socket_; }
  // Reads subscription notices; true if some hub has just subscribed.
  bool on_readable();
  void announce(std::uint32_t load);
  void leave();

 private:
  zmq::socket_t socket_;
  protocol::MemberInfo self_;
};

}  // namespace rpclb::agent
