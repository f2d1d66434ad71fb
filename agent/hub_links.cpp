#include "agent/hub_links.hpp"

namespace rpclb::agent {

HubLinks::HubLinks(Reactor& reactor, zmq::context_t& context, zmq::socket_t& socket,
                   const std::vector<BusAddress>& hubs, std::chrono::milliseconds heartbeat, const Logger& log)
    : monitor_(context, socket, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED),
      quiet_(heartbeat * kQuietHeartbeats),
      log_(log) {
  const auto now = Clock::now();
  for (const auto& hub : hubs) links_[hub.announce] = Link{hub.snapshot, false, now, false};
  reactor.on_readable(monitor_.events(), [this] { on_event(); });
  reactor.every(heartbeat, [this] { check(); });
}

void HubLinks::on_event() {
  for (Turn turn; turn.more();) {
    const auto event = monitor_.next();
    if (!event) return;
    auto found = links_.find(event->endpoint);
    if (found == links_.end()) continue;
    Link& link = found->second;
    if (event->id == ZMQ_EVENT_CONNECTED) {
      link.up = true;
      if (link.warned) log_.info("hub_reachable", {{"bus", link.bus}});
      link.warned = false;
    } else if (event->id == ZMQ_EVENT_DISCONNECTED && link.up) {
      link.up = false;
      link.down_since = Clock::now();
    }
  }
}

void HubLinks::check() {
  const auto now = Clock::now();
  for (auto& [announce, link] : links_) {
    if (link.up || link.warned || now - link.down_since < quiet_) continue;
    link.warned = true;
    const auto quiet_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - link.down_since).count();
    log_.warn("hub_unreachable", {{"bus", link.bus}, {"for_ms", std::to_string(quiet_ms)}});
  }
}

}  // namespace rpclb::agent
