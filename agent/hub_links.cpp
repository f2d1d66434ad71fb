#include "agent/hub_links.hpp"

#include <cstring>

#include "common/zmq_helpers.hpp"

namespace rpclb::agent {

HubLinks::HubLinks(Reactor& reactor, zmq::context_t& context, zmq::socket_t& socket,
                   const std::vector<BusAddress>& hubs, std::chrono::milliseconds heartbeat, const Logger& log)
    : watched_(socket), events_(context, zmq::socket_type::pair), quiet_(heartbeat * kQuietHeartbeats), log_(log) {
  const auto now = Clock::now();
  for (const auto& hub : hubs) links_[hub.announce] = Link{hub.snapshot, false, now, false};
  const auto address = "inproc://rpclb-hub-links-" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
  zmq_socket_monitor(watched_.handle(), address.c_str(), ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED);
  events_.set(zmq::sockopt::linger, 0);
  events_.connect(address);
  reactor.on_readable(events_, [this] { on_event(); });
  reactor.every(heartbeat, [this] { check(); });
}

HubLinks::~HubLinks() {
  events_.close();
  zmq_socket_monitor(watched_.handle(), nullptr, 0);
}

// [event id (2 bytes) + value (4 bytes)], [the endpoint connected to].
void HubLinks::on_event() {
  std::vector<zmq::message_t> parts;
  for (Turn turn; turn.more() && receive_multipart(events_, parts);) {
    if (parts.size() != 2 || parts[0].size() < 2) continue;
    std::uint16_t event = 0;
    std::memcpy(&event, parts[0].data(), sizeof event);
    auto found = links_.find(as_view(parts[1]));
    if (found == links_.end()) continue;
    Link& link = found->second;
    if (event == ZMQ_EVENT_CONNECTED) {
      link.up = true;
      if (link.warned) log_.info("hub_reachable", {{"bus", link.bus}});
      link.warned = false;
    } else if (event == ZMQ_EVENT_DISCONNECTED && link.up) {
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
