#include "common/zmq_helpers.hpp"

#include "common/protocol.hpp"
#include "common/route.hpp"

#include <stdexcept>

namespace rpclb {

zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type, int linger_ms) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, linger_ms);
  socket.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(protocol::kMaxFrameBytes));
  using namespace link_liveness;
  socket.set(zmq::sockopt::tcp_keepalive, 1);
  socket.set(zmq::sockopt::tcp_keepalive_idle, static_cast<int>(kKeepaliveIdle.count()));
  socket.set(zmq::sockopt::tcp_keepalive_intvl, static_cast<int>(kKeepaliveInterval.count()));
  socket.set(zmq::sockopt::tcp_keepalive_cnt, kKeepaliveProbes);
  return socket;
}

void reconnect_promptly(zmq::socket_t& socket) {
  using namespace link_liveness;
  socket.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(kHeartbeatInterval.count()));
  socket.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(kHeartbeatTimeout.count()));
  socket.set(zmq::sockopt::heartbeat_ttl, static_cast<int>(kHeartbeatTtl.count()));
  socket.set(zmq::sockopt::connect_timeout, static_cast<int>(kConnectTimeout.count()));
  socket.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(kReconnectIntervalMax.count()));
}

void choose_family(zmq::socket_t& socket, const std::string& endpoint) {
  socket.set(zmq::sockopt::ipv6, wants_ipv6(endpoint) ? 1 : 0);
}

void connect_to(zmq::socket_t& socket, const std::string& endpoint) {
  choose_family(socket, endpoint);
  socket.connect(endpoint);
}

void bind_or_throw(zmq::socket_t& socket, const std::string& endpoint, std::string_view purpose) {
  try {
    choose_family(socket, endpoint);
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("cannot bind " + std::string(purpose) + " at " + endpoint + ": " + e.what());
  }
}

std::chrono::milliseconds remaining(Clock::time_point deadline, Clock::time_point now) {
  if (deadline <= now) return std::chrono::milliseconds(0);
  // Round up so a poll never wakes just before its deadline and spins.
  return std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
}

bool receive_multipart(zmq::socket_t& socket, std::vector<zmq::message_t>& parts) {
  parts.clear();
  while (true) {
    zmq::message_t part;
    if (!socket.recv(part, zmq::recv_flags::dontwait)) return !parts.empty();
    const bool more = part.more();
    parts.push_back(std::move(part));
    if (!more) return true;
  }
}

std::optional<std::string_view> send_routed(zmq::socket_t& router, std::vector<zmq::message_t>& routing,
                                            zmq::message_t& body) {
  // The first frame decides for the whole message.
  try {
    if (!router.send(routing.front(), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return "caller_not_reading";
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != EHOSTUNREACH) throw;
    return "caller_gone";
  }
  for (std::size_t i = 1; i < routing.size(); ++i) router.send(routing[i], zmq::send_flags::sndmore);
  router.send(body, zmq::send_flags::dontwait);
  return std::nullopt;
}

}  // namespace rpclb
