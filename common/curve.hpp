// CurveZMQ security: key files, and how each rpclb socket is set up with them.
//
// A cluster shares one server keypair (every agent and hub uses it, so a
// client needs to know one public key). Each client (a person or script
// running rpclb) has its own keypair, and agents accept only the client
// public keys found in their authorised-clients folder (checked through
// ZeroMQ's ZAP protocol, see agent/zap_authenticator.hpp). Agents talk to
// hubs as clients with the cluster keypair itself, which is always accepted.
//
// Key files are text, written by `rpclb keygen PREFIX`:
//   PREFIX.key (mode 0600)   public=<40 Z85 chars>  and  secret=<40 Z85 chars>
//   PREFIX.pub               public=<40 Z85 chars>
#pragma once

#include <zmq.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "rpclb/error.hpp"

namespace rpclb {

struct Keypair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;
};

// What one process needs to speak CURVE. Absent (std::nullopt) means plain TCP.
struct CurveConfig {
  Keypair own;                       // this process's keypair
  std::string server_public_key;     // the cluster's public key, for client sockets
  std::set<std::string> authorized;  // server side: client public keys allowed in (Z85)
};

Result<Keypair> generate_keypair();
// Writes PREFIX.key and PREFIX.pub; refuses to overwrite.
Status write_keypair(const std::string& prefix, const Keypair& keys);
Result<Keypair> load_keypair(const std::string& path);
// Reads a .pub file, or the public half of a .key file.
Result<std::string> load_public_key(const std::string& path);
// Every *.pub file in `folder`.
Result<std::set<std::string>> load_authorized_keys(const std::string& folder);

// A process's CURVE set-up from its key files: std::nullopt when both paths
// are empty, bad_request (naming `what`) when only one is given.
//   client: its own keypair file and the cluster's public key file;
//   server: the cluster keypair file and the authorised-clients folder.
Result<std::optional<CurveConfig>> load_client_curve(const std::string& secret_file, const std::string& server_key_file,
                                                     std::string_view what);
Result<std::optional<CurveConfig>> load_server_curve(const std::string& secret_file, const std::string& authorized_dir,
                                                     std::string_view what);

// ZAP domains: which peers a server socket admits.
inline constexpr std::string_view kClientsDomain = "rpclb";        // authorised clients and agents
inline constexpr std::string_view kAgentsDomain = "rpclb-agents";  // agents (the cluster key) only

// Server side: this socket accepts only clients the ZAP handler admits to `domain`.
void make_curve_server(zmq::socket_t& socket, const CurveConfig& curve, std::string_view domain = kClientsDomain);
// Client side: this socket authenticates to a server holding the cluster key.
void make_curve_client(zmq::socket_t& socket, const CurveConfig& curve);

inline void secure_server(zmq::socket_t& socket, const std::optional<CurveConfig>& curve,
                          std::string_view domain = kClientsDomain) {
  if (curve) make_curve_server(socket, *curve, domain);
}
inline void secure_client(zmq::socket_t& socket, const std::optional<CurveConfig>& curve) {
  if (curve) make_curve_client(socket, *curve);
}

}  // namespace rpclb
