#include "agent/announcer.hpp"

#include "agent/io_threads.hpp"
#include "common/zmq_helpers.hpp"

#include <algorithm>

namespace rpclb::agent {
namespace {

zmq::socket_t prepared_socket(zmq::context_t& context, const std::optional<CurveConfig>& curve) {
  // A short linger lets the final "leave" reach the hubs on shutdown.
  auto socket = make_socket(context, zmq::socket_type::xpub, 500);
  // Pass every subscription through, not just the first per topic: each one
  // is a hub that needs to hear from us.
  socket.set(zmq::sockopt::xpub_verbose, 1);
  use_io_thread(socket, context, kBusIoThread);
  reconnect_promptly(socket);
  secure_client(socket, curve);
  return socket;
}

}  // namespace

Announcer::Announcer(Reactor& reactor, zmq::context_t& context, const std::vector<BusAddress>& hubs, Member self,
                     const std::optional<CurveConfig>& curve, Load load, const Logger& log, AgentMetrics& metrics)
    : socket_(prepared_socket(context, curve)),
      links_(reactor, context, socket_, hubs, std::chrono::milliseconds(self.heartbeat_ms), log),
      self_(std::move(self)),
      load_(std::move(load)),
      metrics_(metrics) {
  for (const auto& hub : hubs) connect_to(socket_, hub.announce);
  reactor.on_readable(socket_, [this] { on_readable(); });
  reactor.every(std::chrono::milliseconds(self_.heartbeat_ms), [this] { announce(); });
  reactor.when_due(
      [this]() -> std::optional<Clock::time_point> {
        if (!load_pending_) return std::nullopt;
        return announced_at_ + kFreshLoadInterval;
      },
      [this] {
        load_pending_ = false;
        if (load_moved()) announce();
      });
  introduce();
}

// Subscription notices: a hub that has just (re)subscribed hears from us now.
void Announcer::on_readable() {
  bool subscribed = false;
  zmq::message_t notice;
  while (socket_.recv(notice, zmq::recv_flags::dontwait)) {
    if (notice.size() >= 1 && static_cast<const unsigned char*>(notice.data())[0] == 1) subscribed = true;
  }
  if (!subscribed) return;
  metrics_.bus_event("hub_subscribed");
  introduce();
}

void Announcer::replace(std::string instance) {
  replaces_ = std::move(instance);
  introduce();
}

void Announcer::introduce() {
  if (replaces_ && !left_) {
    socket_.send(zmq::buffer(protocol::encode(protocol::Leave{self_.name, *replaces_})), zmq::send_flags::dontwait);
  }
  announce();
}

bool Announcer::load_moved() const {
  const auto now = load_().in_flight;
  const auto last = self_.load;
  const auto moved = now > last ? now - last : last - now;
  return moved >= std::max<std::uint32_t>(1, last / 10);
}

void Announcer::load_changed() {
  // Announced from the reactor's timer (at once when the last announcement
  // is old enough), never from here: the calls' handlers that report the
  // change use only the RPC socket (Reactor::Reach).
  if (left_ || load_pending_ || !load_moved()) return;
  load_pending_ = true;
}

void Announcer::announce() {
  if (left_) return;
  announced_at_ = Clock::now();
  const auto figures = load_();
  self_.load = figures.in_flight;
  self_.cpu = figures.cpu;
  self_.load_average = figures.load_average;
  socket_.send(zmq::buffer(protocol::encode(protocol::Announce{self_})), zmq::send_flags::dontwait);
  metrics_.bus_event("announced");
}

void Announcer::leave() {
  left_ = true;
  socket_.send(zmq::buffer(protocol::encode(protocol::Leave{self_.name, self_.instance})), zmq::send_flags::dontwait);
}

}  // namespace rpclb::agent
