// Announcer: the agent's voice on the bus. An XPUB socket connected to every
// hub's announce socket. XPUB (rather than PUB) tells us when a hub
// subscribes, which happens when it first connects and again after it
// restarts: we announce at that moment, so a hub never waits a heartbeat to
// learn about us and a restarted hub converges without restarting agents.
#pragma once

#include <zmq.hpp>

#include <functional>
#include <optional>
#include <string>

#include <vector>

#include "common/curve.hpp"
#include "common/endpoint.hpp"
#include "common/protocol.hpp"

#include "agent/hub_links.hpp"
#include "agent/logger.hpp"
#include "agent/metrics.hpp"
#include "agent/reactor.hpp"

namespace rpclb::agent {

// The most often the load alone makes the agent announce itself.
inline constexpr std::chrono::milliseconds kFreshLoadInterval{100};

class Announcer {
 public:
  // The member's load at the moment of an announcement: its calls in flight
  // and its host's figures (agent/host_load.hpp).
  struct Figures {
    std::uint32_t in_flight = 0;
    std::uint32_t cpu = protocol::kUnknownFigure;
    std::uint32_t load_average = protocol::kUnknownFigure;
  };
  using Load = std::function<Figures()>;

  // Announces `self` at once, then every heartbeat (self.heartbeat_ms) and
  // whenever a hub subscribes, until leave().
  // How each hub's link is doing goes to `log` (agent/hub_links.hpp).
  Announcer(Reactor& reactor, zmq::context_t& context, const std::vector<BusAddress>& hubs, Member self,
            const std::optional<CurveConfig>& curve, Load load, const Logger& log, AgentMetrics& metrics);

  // `instance` of our name is a dead predecessor (agent/name_claim.hpp):
  // every hub hears it leave, now and whenever one subscribes, so the name
  // passes to us at once instead of after its time to live.
  void replace(std::string instance);

  // The load may have changed: announced within kFreshLoadInterval when it
  // moved materially (by one call, or a tenth, whichever is more) since the
  // last announcement, so load-aware callers need not wait a heartbeat.
  void load_changed();

  // Says goodbye to every hub; nothing is announced after it (a draining
  // agent must not rejoin).
  void leave();

 private:
  void on_readable();
  void announce();
  void introduce();  // to a hub that has just subscribed
  bool load_moved() const;

  zmq::socket_t socket_;
  HubLinks links_;  // after socket_: its monitor goes first
  Member self_;
  Load load_;
  AgentMetrics& metrics_;
  std::optional<std::string> replaces_;
  bool left_ = false;
  Clock::time_point announced_at_{};
  bool load_pending_ = false;  // a material change waits for kFreshLoadInterval to pass
};

}  // namespace rpclb::agent
