#include "common/rpc_pipeline.hpp"

#include <algorithm>
#include <cerrno>
#include <deque>

#include "common/endpoint.hpp"
#include "common/resolver.hpp"
#include "common/route.hpp"
#include "common/socket_monitor.hpp"
#include "common/turn.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb {
namespace {

// Watches one socket's connection through a ZeroMQ socket monitor: when its
// handshake is done (ready to send), and, known at once instead of after the
// connect timeout, a refused attempt, a refused handshake or a lost
// connection.
class ConnectionWatch {
 public:
  // What the socket's connection attempts and connection did since the last read().
  struct Seen {
    bool refused = false;       // an attempt failed (nothing listens, or no route)
    bool rejected = false;      // the handshake failed (CURVE, or not ZMTP)
    bool disconnected = false;  // an established connection was lost
    std::optional<bool> up;     // the last word on the connection: handshake done, or lost
  };

  ConnectionWatch(zmq::context_t& context, zmq::socket_t& watched)
      : monitor_(context, watched,
                 ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_DISCONNECTED |
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {}

  zmq::socket_t& events() { return monitor_.events(); }

  Seen read() {
    Seen seen;
    while (auto event = monitor_.next()) {
      if (event->id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        seen.up = true;
      } else if (event->id == ZMQ_EVENT_CONNECT_RETRIED) {
        seen.refused = true;
      } else if (event->id == ZMQ_EVENT_DISCONNECTED) {
        seen.disconnected = true;
        seen.up = false;
      } else {
        seen.rejected = true;
      }
    }
    return seen;
  }

 private:
  SocketMonitor monitor_;
};

// libzmq's first reconnect comes after 100 ms, each next one twice as late, up to this.
constexpr std::chrono::milliseconds kReconnectIntervalMax{5000};

// ZeroMQ reports every failed connection attempt alike; the routing table
// tells a host this one has no route to from one that refused. `address`:
// the endpoint as connected to (resolved), so no name is looked up again.
Error refused_or_unreachable(const std::string& endpoint, const std::string& address) {
  if (auto tcp = tcp_endpoint(address); tcp) {
    if (auto route = route_source(tcp->host); !route) {
      return {ErrorCode::service_unavailable, "node unreachable at " + endpoint + ": " + route.error().message};
    }
  }
  return {ErrorCode::service_unavailable, "connection refused by " + endpoint};
}

}  // namespace

// One agent endpoint: the socket, the monitor that tells how its connection
// attempts went, and the requests waiting for it.
class RpcPipeline::Connection {
 public:
  // `address_`: the endpoint with its host resolved (common/resolver.hpp).
  Connection(zmq::context_t& context, std::string endpoint_, std::string address_,
             const std::optional<CurveConfig>& curve)
      : endpoint(std::move(endpoint_)),
        address(std::move(address_)),
        socket(make_socket(context, zmq::socket_type::dealer)) {
    // Not ZMQ_IMMEDIATE: with it, a lost connection discards the replies
    // that arrived on it and were not read yet, so a call that ran and
    // answered just before its agent exited was reported lost. Requests
    // are sent only once the monitor has seen the handshake done instead
    // (`ready`), which tells "unreachable" apart from "slow" as well.
    // A connection that is down and unused retries less and less often
    // (close_unused closes it at the next turn; until then its monitor
    // events wait unread).
    socket.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(kReconnectIntervalMax.count()));
    secure_client(socket, curve);
    watch = std::make_unique<ConnectionWatch>(context, socket);
    polled_socket.emplace(socket);
    polled_watch.emplace(watch->events());
    connect_to(socket, address);
  }
  ~Connection() { watch.reset(); }  // the monitor goes before its socket

  bool idle() const { return queued.empty() && in_flight == 0; }

  std::string endpoint;  // as the member announced it
  std::string address;   // as connected to
  zmq::socket_t socket;
  std::unique_ptr<ConnectionWatch> watch;
  std::optional<PollSet::Socket> polled_socket;  // `socket`, as each turn waits on it
  std::optional<PollSet::Socket> polled_watch;   // the monitor's
  bool ready = false;                            // the handshake is done and the connection not lost since
  // Sent or received on since a wait last asked it (PollSet::Since): the
  // socket, and its monitor's.
  bool socket_used = true;
  bool watch_used = true;
  std::deque<std::uint64_t> queued;  // unsent requests, oldest first
  std::size_t in_flight = 0;         // sent, not yet ended
};

RpcPipeline::RpcPipeline(zmq::context_t& context, std::optional<CurveConfig> curve,
                         std::chrono::milliseconds connect_timeout, Idle idle)
    : context_(&context), curve_(std::move(curve)), connect_timeout_(connect_timeout), idle_(idle) {}

RpcPipeline::~RpcPipeline() {
  abandon_all("the client closed");
}

void RpcPipeline::abandon_all(const std::string& why) {
  while (!pending_.empty()) {
    const auto& [id, request] = *pending_.begin();
    finish(id,
           request.sent
               ? make_error(ErrorCode::request_timeout, "abandoned (" + why + ") before the reply from " +
                                                            request.connection->endpoint + "; the call may have run")
               : make_error(ErrorCode::service_unavailable, "abandoned (" + why + ") before the request was sent"));
  }
}

Result<RpcPipeline::Connection*> RpcPipeline::connection_to(const std::string& endpoint, Clock::time_point deadline) {
  auto found = connections_.find(endpoint);
  if (found != connections_.end() && found->second->idle()) {
    // What an idle connection did since it was last used is no request's
    // news, but whether it is up now is. One that is down is replaced: it
    // may be waiting out libzmq's reconnect backoff, a fresh one connects now.
    watch_events(*found->second);
    if (!found->second->ready) {
      retired_.push_back(std::move(found->second));  // turn() may still hold it
      connections_.erase(found);
      found = connections_.end();
    }
  }
  if (found == connections_.end()) {
    auto address = numeric_endpoint(endpoint, deadline);
    if (!address) return make_error(address.error().code, address.error().message + " (nothing was sent)");
    auto connection = std::make_unique<Connection>(*context_, endpoint, std::move(address).value(), curve_);
    found = connections_.emplace(endpoint, std::move(connection)).first;
  }
  return found->second.get();
}

// The largest encoding buffer submit() keeps between requests.
constexpr std::size_t kKeptFrameBytes = 64 * 1024;

Status RpcPipeline::submit(const std::string& endpoint, const protocol::CallRequest& request,
                           Clock::time_point deadline, Completion done) {
  if (pending_.contains(request.id)) {
    return make_error(ErrorCode::internal, "request id " + std::to_string(request.id) + " is already in flight");
  }
  // Into a buffer kept for the next request: one sent at once (its
  // connection up, nothing queued before it) is copied only into ZeroMQ's
  // message, and only one that waits keeps a frame of its own. A buffer a
  // large request grew is not kept past the next.
  if (frame_.capacity() > kKeptFrameBytes) std::string().swap(frame_);
  protocol::encode_into(frame_, request);
  if (frame_.size() > protocol::kMaxFrameBytes) {
    return make_error(ErrorCode::bad_request, "the request is " + std::to_string(frame_.size()) +
                                                  " bytes, over the frame limit of " +
                                                  std::to_string(protocol::kMaxFrameBytes) + " bytes");
  }
  Connection* connection = nullptr;
  try {
    auto found = connection_to(endpoint, deadline);
    if (!found) return found.error();
    connection = *found;
  } catch (const zmq::error_t& e) {
    // The member announced an endpoint this host cannot use: nothing was
    // sent, so another member may be tried.
    return make_error(ErrorCode::service_unavailable, "unusable endpoint '" + endpoint + "': " + e.what());
  }
  const bool sent = connection->ready && connection->queued.empty() && send_frame(*connection, frame_);
  if (sent) ++connection->in_flight;
  const auto due = connection->ready ? deadline : std::min(deadline, Clock::now() + connect_timeout_);
  spare_pending_.insert(pending_, request.id,
                        Pending{connection, sent ? std::string() : frame_, deadline, due, sent, std::move(done)});
  spare_due_.insert(due_, std::pair(due, request.id));
  if (sent) return {};
  connection->queued.push_back(request.id);
  if (connection->ready) send_queued(*connection);
  return {};
}

bool RpcPipeline::send_frame(Connection& connection, std::string_view frame) {
  connection.socket_used = true;
  // One frame, with no empty delimiter before it: every agent answers a
  // bare DEALER's [identity, body] with its reply alone (docs/protocol.md
  // 1.1), and each frame costs both ends and their I/O threads a message.
  // Fails only when the send queue is full (the agent reads no more):
  // turn() waits for room.
  return connection.socket.send(zmq::buffer(frame), zmq::send_flags::dontwait).has_value();
}

void RpcPipeline::send_queued(Connection& connection) {
  connection.socket_used = true;
  while (!connection.queued.empty()) {
    const auto id = connection.queued.front();
    auto& request = pending_.at(id);
    if (!send_frame(connection, request.frame)) return;
    connection.queued.pop_front();
    ++connection.in_flight;
    request.sent = true;
    request.frame = std::string();
    set_due(id, request, request.deadline);
  }
}

void RpcPipeline::set_due(std::uint64_t id, Pending& request, Clock::time_point due) {
  if (due == request.due) return;  // a request sent at once: its deadline was its due already
  spare_due_.keep(due_.extract({request.due, id}));
  spare_due_.insert(due_, std::pair(due, id));
  request.due = due;
}

RpcPipeline::Pending RpcPipeline::take_pending(PendingById::iterator found) {
  auto node = pending_.extract(found);
  auto request = std::move(node.mapped());
  spare_due_.keep(due_.extract({request.due, node.key()}));
  spare_pending_.keep(std::move(node));
  return request;
}

void RpcPipeline::finish(std::uint64_t id, Result<protocol::CallReply>&& reply) {
  auto found = pending_.find(id);
  if (found == pending_.end()) return;
  auto request = take_pending(found);
  auto& connection = *request.connection;
  if (request.sent) {
    --connection.in_flight;
  } else {
    connection.queued.erase(std::find(connection.queued.begin(), connection.queued.end(), id));
  }
  request.done(std::move(reply));
}

// Ends every request on `connection` that was (or was not yet) sent.
void RpcPipeline::finish_where(Connection& connection, bool sent, const Error& error) {
  std::vector<std::uint64_t> ids;
  if (sent) {
    for (const auto& [id, request] : pending_) {
      if (request.connection == &connection && request.sent) ids.push_back(id);
    }
  } else {
    ids.assign(connection.queued.begin(), connection.queued.end());
  }
  for (const auto id : ids) finish(id, Result<protocol::CallReply>(error));
}

void RpcPipeline::read_replies(Connection& connection, Read how) {
  connection.socket_used = true;
  for (Turn turn; (how == Read::all || turn.more()) && receive_multipart(connection.socket, parts_);) {
    if (parts_.size() != 1) continue;
    auto reply = protocol::read_reply(as_view(parts_[0]));
    if (!reply) {
      // Which request it answers is unknown: the agent's stream cannot be
      // trusted, and each caller hears it rather than wait out its deadline.
      finish_where(connection, true,
                   make_error(ErrorCode::internal,
                              "agent at " + connection.endpoint + " sent a bad reply: " + reply.error().message));
      continue;
    }
    // Replies to requests that already ended (timed out) may still arrive.
    auto found = pending_.find(reply->id);
    if (found == pending_.end() || found->second.connection != &connection || !found->second.sent) continue;
    finish(reply->id, std::move(reply).value());
  }
}

void RpcPipeline::watch_events(Connection& connection) {
  connection.watch_used = true;
  const auto seen = connection.watch->read();
  // The agent answers on the connection the request came in on: once that
  // is gone (and what it delivered is read), no reply can come, so the
  // callers hear now instead of at their deadlines.
  if (seen.disconnected) {
    read_replies(connection, Read::all);
    finish_where(connection, true,
                 make_error(ErrorCode::request_timeout, "the connection to " + connection.endpoint +
                                                            " was lost before the reply; the call may have run"));
  }
  if (seen.up) connection.ready = *seen.up;
  const auto now = Clock::now();
  if (connection.ready) {
    send_queued(connection);
    return;
  }
  if (connection.queued.empty()) return;
  if (seen.rejected) {
    finish_where(connection, false,
                 make_error(ErrorCode::service_unavailable, "handshake with " + connection.endpoint +
                                                                " failed (not authorised, or a security mismatch)"));
  } else if (seen.refused) {
    finish_where(connection, false, refused_or_unreachable(connection.endpoint, connection.address));
  } else if (seen.disconnected) {
    // Requests not sent yet wait for the connection again, as for a new one.
    for (const auto waiting : connection.queued) {
      auto& unsent = pending_.at(waiting);
      set_due(waiting, unsent, std::min(unsent.due, now + connect_timeout_));
    }
  }
}

void RpcPipeline::expire(Clock::time_point now) {
  while (!due_.empty() && due_.begin()->first <= now) {
    const auto id = due_.begin()->second;
    const auto& request = pending_.at(id);
    const auto& endpoint = request.connection->endpoint;
    if (request.sent) {
      finish(id, make_error(ErrorCode::request_timeout, "no reply from " + endpoint + " before the deadline"));
    } else {
      finish(id,
             make_error(ErrorCode::service_unavailable, "timed out connecting to " + endpoint + " (nothing was sent)"));
    }
  }
}

void RpcPipeline::close_unused() {
  const bool keep_ready = idle_ == Idle::keep;
  std::erase_if(connections_, [keep_ready](const auto& entry) {
    return entry.second->idle() && !(entry.second->ready && keep_ready);
  });
  retired_.clear();
}

bool RpcPipeline::turn(Clock::time_point until, int wake_fd) {
  poll_.clear();
  polled_.clear();
  for (auto& [endpoint, connection] : connections_) {
    const short events = connection->ready && !connection->queued.empty() ? ZMQ_POLLIN | ZMQ_POLLOUT : ZMQ_POLLIN;
    using Since = PollSet::Since;
    const auto socket =
        poll_.add(*connection->polled_socket, events, connection->socket_used ? Since::maybe_used : Since::untouched);
    const auto watch =
        poll_.add(*connection->polled_watch, ZMQ_POLLIN, connection->watch_used ? Since::maybe_used : Since::untouched);
    connection->socket_used = connection->watch_used = false;  // the wait asks them
    polled_.push_back({connection.get(), socket, watch});
  }
  const auto wake = wake_fd >= 0 ? std::optional(poll_.add(wake_fd)) : std::nullopt;
  poll_.wait(remaining(due_.empty() ? until : std::min(until, due_.begin()->first)));

  // Completions may submit: new connections are added, and one replaced
  // (connection_to) waits in retired_ until close_unused().
  for (std::size_t i = 0; i < polled_.size(); ++i) {
    const auto [connection, socket, watch] = polled_[i];
    if (poll_.readable(socket)) read_replies(*connection, Read::a_turn);
    if (poll_.readable(watch)) watch_events(*connection);
    if (poll_.writable(socket) && connection->ready) send_queued(*connection);
  }
  expire(Clock::now());
  close_unused();
  return wake && poll_.readable(*wake);
}

Result<protocol::CallReply> RpcPipeline::call(const std::string& endpoint, const protocol::CallRequest& request,
                                              Clock::time_point deadline) {
  std::optional<Result<protocol::CallReply>> ended;
  auto submitted =
      submit(endpoint, request, deadline, [&](Result<protocol::CallReply>&& reply) { ended = std::move(reply); });
  if (!submitted) return submitted.error();
  while (!ended) turn(deadline);
  return std::move(*ended);
}

}  // namespace rpclb
