// BusHub: one bus endpoint, hosted inside an agent started with --serve-bus.
//
//   announce SUB  (bind)  <- every agent's announcer publishes here
//   snapshot ROUTER (bind) <- clients ask "snapshot?" and get the current view
//   updates PUB   (bind)  -> every accepted change, for watchers
//
// Agents publish to every hub they know, so each hub holds the whole view on
// its own; running two hubs means either can die without losing discovery.
//
// Nothing announced can break the hub or discovery of other members: every
// announcement is checked (member_rules.hpp) and the view is bounded
// (MembershipLimits); what fails is dropped with a warning, at most
// kDropLinesPerSecond lines a second (then a count of the lines held back).
#pragma once

#include <zmq.hpp>

#include <string>

#include "agent/logger.hpp"
#include "agent/memory_release.hpp"
#include "agent/metrics.hpp"
#include "agent/reactor.hpp"
#include "common/curve.hpp"
#include "common/endpoint.hpp"
#include "common/membership.hpp"

namespace rpclb::agent {

// What one frame from the announce socket does to a hub's view: the hub's
// whole policy for untrusted input, apart from sockets and logs (and so what
// tests/fuzz/announce_fuzzer.cpp drives).
struct Admission {
  enum class Kind { joined, updated, refreshed, left, stale_leave, dropped, conflict };
  Kind kind = Kind::dropped;
  std::optional<protocol::Message> change;  // joined, updated, left: what watchers are told
  std::string member;                       // the name it concerns ("" if unreadable)
  std::string error;                        // dropped, conflict: why
  std::string endpoint_was;                 // updated: the endpoint before, if it changed
};
Admission admit(MembershipView& view, const std::vector<zmq::message_t>& parts, Clock::time_point now);

class BusHub {
 public:
  // A snapshot request is a group name (at most 255 bytes) in an envelope:
  // a bigger frame ends its connection (ZMQ_MAXMSGSIZE).
  static constexpr std::size_t kMaxSnapshotRequestBytes = 64 * 1024;
  // Messages queued each way per snapshot connection (ZMQ_RCVHWM, ZMQ_SNDHWM).
  static constexpr int kSnapshotQueue = 16;

  // Binds the three sockets and serves them, and expires silent members, on
  // `reactor`.
  // What happens goes to `metrics` too: events as they happen, members by
  // group at most once a second.
  BusHub(Reactor& reactor, zmq::context_t& context, const BusAddress& address, std::uint32_t missed_heartbeats,
         const Logger& log, const std::optional<CurveConfig>& curve, AgentMetrics& metrics);

 private:
  void on_announce_readable();
  void on_snapshot_readable();
  // Drops members whose heartbeats stopped.
  void expire();
  void publish(const protocol::Message& change);
  // A warning about an announcement, at most kDropLinesPerSecond a second
  // (then a count of the lines held back): what a flood cannot turn into a
  // flood of log lines.
  void warn_limited(std::string_view event, std::string_view member, std::string_view why);
  void count_members();

  static constexpr int kDropLinesPerSecond = 10;

  const Logger& log_;
  AgentMetrics& metrics_;
  bool members_changed_ = true;
  MembershipView view_;
  // Memory freed by departed members goes back to the system once the view
  // has shrunk to half its peak, so a flood that left does not stay resident.
  MemoryRelease memory_;
  Clock::time_point drop_window_{};
  int drop_lines_ = 0;
  std::uint64_t drops_held_back_ = 0;
  zmq::socket_t announce_;
  zmq::socket_t snapshot_;
  zmq::socket_t updates_;
};

}  // namespace rpclb::agent
