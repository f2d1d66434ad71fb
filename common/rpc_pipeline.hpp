// RpcPipeline: many requests in flight to many agents at once, one DEALER
// connection per agent endpoint, replies matched to their requests by id,
// every request with its own deadline. Everything rpclb sends to agents goes
// through one: a one-shot `rpclb call` (one request, waited for), a fan-out
// (every member at once), and the asynchronous client (a thread that keeps
// turning one, many callers submitting).
//
// The same guarantees as one request on its own: a member that cannot be
// connected to within the connect timeout, refuses, or fails the handshake
// is service_unavailable with nothing sent (safe to try another member); a
// request sent and not answered by its deadline is request_timeout; a
// connection lost with requests on it ends them at once (they may have run).
//
// Not thread-safe: one thread submits and turns (lib/call_loop.hpp takes
// submissions from many threads to its one).
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/curve.hpp"
#include "common/poll_set.hpp"
#include "common/protocol.hpp"
#include "common/spare_nodes.hpp"
#include "rpclb/client_defaults.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

class RpcPipeline {
 public:
  // How one request ended: the agent's reply (its own errors are a reply of
  // Kind::error), or the transport's error as above.
  // By reference: a reply is handed on, not moved at every step.
  using Completion = std::function<void(Result<protocol::CallReply>&&)>;

  // What to do with a connection once nothing waits on it: keep it for the
  // next request to that member (a client's calls), or close it (a fan-out,
  // which asks each member once: a thousand members then never hold a
  // thousand connections, three ZeroMQ sockets each, at once).
  enum class Idle { keep, close };

  RpcPipeline(zmq::context_t& context, std::optional<CurveConfig> curve,
              std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout, Idle idle = Idle::keep);
  RpcPipeline(const RpcPipeline&) = delete;
  RpcPipeline& operator=(const RpcPipeline&) = delete;
  // Requests still pending are abandoned (abandon_all); their completions
  // run here.
  ~RpcPipeline();

  // Queues `request` for the agent at `endpoint`; `done` runs from a later
  // turn() (never from here), exactly once. Refused at once, with nothing
  // queued: a request over the frame limit (bad_request), an endpoint ZeroMQ
  // cannot use or whose host name does not resolve by `deadline`
  // (service_unavailable), an id already pending (internal).
  Status submit(const std::string& endpoint, const protocol::CallRequest& request, Clock::time_point deadline,
                Completion done);

  // Waits until something happens or `until`: replies, connections made or
  // lost, deadlines; runs the completions due. Also wakes when `wake_fd`
  // (if not -1) is readable, and then says so (true).
  bool turn(Clock::time_point until, int wake_fd = -1);

  // One request, waited for: submit() and turn() until it ends.
  Result<protocol::CallReply> call(const std::string& endpoint, const protocol::CallRequest& request,
                                   Clock::time_point deadline);

  // Ends every pending request now (the transport failed under them).
  void abandon_all(const std::string& why);

  std::size_t pending() const { return pending_.size(); }

 private:
  class Connection;
  struct Pending {
    Connection* connection;
    std::string frame;  // the encoded request, until it is sent
    Clock::time_point deadline;
    Clock::time_point due;  // the deadline, or the connect deadline while unsent
    bool sent = false;
    Completion done;
  };
  using PendingById = std::unordered_map<std::uint64_t, Pending>;
  using DueTimes = std::set<std::pair<Clock::time_point, std::uint64_t>>;  // (Pending::due, id)

  // The connection to `endpoint`, made if needed: its host name, if it has
  // one, is resolved by `deadline` (else service_unavailable, nothing sent).
  Result<Connection*> connection_to(const std::string& endpoint, Clock::time_point deadline);
  void send_queued(Connection& connection);
  // Sends one request's frame; false when the connection's queue is full.
  bool send_frame(Connection& connection, std::string_view frame);
  // Moves request `id`'s place in due_ (its connect deadline, or its own).
  void set_due(std::uint64_t id, Pending& request, Clock::time_point due);
  // Takes the request `found` names out of pending_ and due_, keeping their
  // nodes for the next requests.
  Pending take_pending(PendingById::iterator found);
  void watch_events(Connection& connection);
  // A turn's worth of replies (common/turn.hpp), so a member that floods
  // replies cannot hold the caller past its deadlines; or, from a connection
  // just lost, all it delivered.
  enum class Read { a_turn, all };
  void read_replies(Connection& connection, Read how);
  void expire(Clock::time_point now);
  // Closes every connection that is down (refused, lost, never made) with
  // nothing waiting on it: it would otherwise keep trying to reconnect,
  // raising monitor events, for as long as the pipeline lives. The next
  // request to that endpoint makes a fresh one. With Idle::close, every
  // connection nothing waits on.
  void close_unused();
  // Ends request `id` with `reply`, running its completion last (it may submit).
  void finish(std::uint64_t id, Result<protocol::CallReply>&& reply);
  void finish_where(Connection& connection, bool sent, const Error& error);

  zmq::context_t* context_;
  std::optional<CurveConfig> curve_;
  std::chrono::milliseconds connect_timeout_;
  Idle idle_;
  std::map<std::string, std::unique_ptr<Connection>, std::less<>> connections_;  // by endpoint
  std::vector<std::unique_ptr<Connection>> retired_;                             // replaced, closed by turn()
  PendingById pending_;                                                          // by request id
  std::string frame_;  // the request being submitted, encoded (submit)
  DueTimes due_;
  SpareNodes<PendingById> spare_pending_;  // from requests that ended, for the next
  SpareNodes<DueTimes> spare_due_;
  // Reused by turn(): what it polls, and each connection's two items in it.
  struct Polled {
    Connection* connection;
    PollSet::Item socket;
    PollSet::Item watch;
  };
  PollSet poll_;
  std::vector<Polled> polled_;
  std::vector<zmq::message_t> parts_;
};

}  // namespace rpclb
