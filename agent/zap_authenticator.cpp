#include "agent/zap_authenticator.hpp"

#include "common/curve.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb::agent {

ZapAuthenticator::ZapAuthenticator(Reactor& reactor, zmq::context_t& context, std::string cluster_key,
                                   std::set<std::string> client_keys, const Logger& log)
    : cluster_key_(std::move(cluster_key)),
      client_keys_(std::move(client_keys)),
      log_(log),
      socket_(context, zmq::socket_type::rep) {
  socket_.set(zmq::sockopt::linger, 0);
  bind_or_throw(socket_, "inproc://zeromq.zap.01", "ZAP handler");
  reactor.on_readable(socket_, [this] { on_readable(); });
}

void ZapAuthenticator::on_readable() {
  std::vector<zmq::message_t> request;
  while (receive_multipart(socket_, request)) {
    // version, request id, domain, address, identity, mechanism, credentials...
    if (request.size() < 6) continue;
    std::string verdict = "400";
    std::string reason = "not authorised";
    std::string key;
    if (as_view(request[5]) == "CURVE" && request.size() == 7 && request[6].size() == 32) {
      char z85[41] = {};
      zmq_z85_encode(z85, static_cast<const std::uint8_t*>(request[6].data()), 32);
      key = z85;
      const bool agents_only = as_view(request[2]) == kAgentsDomain;
      if (key == cluster_key_ || (!agents_only && client_keys_.contains(key))) {
        verdict = "200";
        reason = "OK";
      }
    }
    if (verdict != "200") {
      log_.warn("auth_refused", {{"mechanism", as_view(request[5])}, {"peer", as_view(request[3])}, {"key", key}});
    }
    socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket_.send(request[1], zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(verdict), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(reason), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(key), zmq::send_flags::sndmore);  // user id
    socket_.send(zmq::message_t(), zmq::send_flags::none);     // metadata
  }
}

}  // namespace rpclb::agent
