// ZapAuthenticator: decides which CURVE clients may connect to this agent's
// sockets (RPC, and a hosted hub's three), answering libzmq's ZAP requests
// (RFC 27) on inproc://zeromq.zap.01. In the clients domain a peer is let in
// when its public key is authorised or is the cluster's own key; in the agents
// domain (a hub's announce socket) only the cluster key is.
#pragma once

#include <zmq.hpp>

#include <set>
#include <string>

#include "agent/logger.hpp"

#include "agent/reactor.hpp"

namespace rpclb::agent {

class ZapAuthenticator {
 public:
  // Must exist before any CURVE server socket of `context` is bound.
  ZapAuthenticator(Reactor& reactor, zmq::context_t& context, std::string cluster_key,
                   std::set<std::string> client_keys, const Logger& log);

 private:
  void on_readable();

  std::string cluster_key_;
  std::set<std::string> client_keys_;
  const Logger& log_;
  zmq::socket_t socket_;
};

}  // namespace rpclb::agent
