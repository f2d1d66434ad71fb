#include "agent/bus_hub.hpp"

#include "common/text.hpp"

#include <algorithm>

#include "agent/io_threads.hpp"
#include "common/member_rules.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb::agent {

BusHub::BusHub(Reactor& reactor, zmq::context_t& context, const BusAddress& address, std::uint32_t missed_heartbeats,
               const Logger& log, const std::optional<CurveConfig>& curve, AgentMetrics& metrics)
    : log_(log),
      metrics_(metrics),
      view_(missed_heartbeats),
      announce_(make_socket(context, zmq::socket_type::sub)),
      snapshot_(make_socket(context, zmq::socket_type::router)),
      updates_(make_socket(context, zmq::socket_type::pub)) {
  // With CURVE, only agents (holding the cluster key) may announce, and only
  // authorised clients may read the membership.
  secure_server(announce_, curve, kAgentsDomain);
  secure_server(snapshot_, curve);
  secure_server(updates_, curve);
  for (auto* socket : {&announce_, &snapshot_, &updates_}) use_io_thread(*socket, context, kBusIoThread);
  // Bounded like the RPC socket (agent/inflight_budget.hpp): a request is a
  // group name, so ZeroMQ holds a few small frames per connection at most,
  // and a caller asks once and waits, so a few replies queued for one that
  // does not read are as many as it can want; past them, replies are
  // dropped and counted (rpclb_replies_dropped_total), never silently.
  snapshot_.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(kMaxSnapshotRequestBytes));
  snapshot_.set(zmq::sockopt::rcvhwm, kSnapshotQueue);
  snapshot_.set(zmq::sockopt::sndhwm, kSnapshotQueue);
  snapshot_.set(zmq::sockopt::router_mandatory, 1);
  announce_.set(zmq::sockopt::subscribe, "");
  bind_or_throw(announce_, address.announce, "bus announce socket");
  bind_or_throw(snapshot_, address.snapshot, "bus snapshot socket");
  bind_or_throw(updates_, address.updates, "bus updates socket");
  reactor.on_readable(announce_, [this] { on_announce_readable(); });
  reactor.on_readable(snapshot_, [this] { on_snapshot_readable(); });
  reactor.when_due([this] { return view_.next_expiry(); }, [this] { expire(); });
  reactor.every(std::chrono::seconds(1), [this] { count_members(); });
  count_members();
}

namespace {

// The name rpclb_bus_events_total counts an admission under.
const char* event_name(Admission::Kind kind) {
  switch (kind) {
    case Admission::Kind::joined:
      return "joined";
    case Admission::Kind::updated:
      return "updated";
    case Admission::Kind::refreshed:
      return "refreshed";
    case Admission::Kind::left:
      return "left";
    case Admission::Kind::stale_leave:
      return "stale_leave";
    case Admission::Kind::dropped:
      return "dropped";
    case Admission::Kind::conflict:
      return "conflict";
  }
  return "unknown";
}

}  // namespace

// Once a second at most: a view of many members is not walked per heartbeat.
void BusHub::count_members() {
  if (!members_changed_) return;
  members_changed_ = false;
  std::map<std::string, std::size_t, std::less<>> by_group;
  for (const auto& member : view_.members()) {
    for (const auto& group : member.groups) ++by_group[group];
  }
  metrics_.set_hub_members(std::move(by_group));
}

Admission admit(MembershipView& view, const std::vector<zmq::message_t>& parts, Clock::time_point now) {
  Admission admission;
  if (parts.size() != 1) {
    admission.error = "not a single frame";
    return admission;
  }
  auto message = protocol::decode(as_view(parts[0]));
  if (!message) {
    admission.error = message.error().message;
    return admission;
  }
  if (auto* announce = std::get_if<protocol::Announce>(&*message)) {
    admission.member = announce->member.name;
    if (auto valid = validate_member(announce->member); !valid) {
      admission.error = valid.error().message;
      return admission;
    }
    // Every heartbeat passes here: only an endpoint that moves is copied,
    // before the view overwrites it. A conflict changes nothing, so `held`
    // still names the holder after apply.
    const auto* held = view.find(announce->member.name);
    if (held && held->instance == announce->member.instance && held->endpoint != announce->member.endpoint) {
      admission.endpoint_was = held->endpoint;
    }
    switch (view.apply(*announce, now)) {
      case MembershipView::Change::conflict:
        admission.kind = Admission::Kind::conflict;
        admission.error = "held by instance " + held->instance + " at " + held->endpoint + "; refused instance " +
                          announce->member.instance + " at " + announce->member.endpoint;
        return admission;
      case MembershipView::Change::full:
        admission.error =
            "the hub is full (" + std::to_string(view.size()) + " members, " + std::to_string(view.bytes()) + " bytes)";
        return admission;
      case MembershipView::Change::refreshed:
        admission.kind = Admission::Kind::refreshed;
        return admission;
      case MembershipView::Change::joined:
        admission.kind = Admission::Kind::joined;
        break;
      case MembershipView::Change::updated:
        admission.kind = Admission::Kind::updated;
        break;
    }
    admission.change = std::move(*message);
    return admission;
  }
  if (auto* leave = std::get_if<protocol::Leave>(&*message)) {
    admission.member = leave->name;
    if (auto valid = validate_leave(*leave); !valid) {
      admission.error = valid.error().message;
      return admission;
    }
    admission.kind = view.apply(*leave) ? Admission::Kind::left : Admission::Kind::stale_leave;
    if (admission.kind == Admission::Kind::left) admission.change = std::move(*message);
    return admission;
  }
  admission.error = "not an announce or leave message";
  return admission;
}

void BusHub::on_announce_readable() {
  const auto now = Clock::now();
  std::vector<zmq::message_t> parts;
  for (Turn turn; turn.more() && receive_multipart(announce_, parts);) {
    auto admission = admit(view_, parts, now);
    metrics_.bus_event(event_name(admission.kind));
    if (admission.change) members_changed_ = true;
    switch (admission.kind) {
      case Admission::Kind::dropped:
        warn_limited("announcement_dropped", admission.member, admission.error);
        break;
      case Admission::Kind::conflict:
        warn_limited("name_conflict", admission.member, admission.error);
        break;
      case Admission::Kind::joined: {
        const auto& member = std::get<protocol::Announce>(*admission.change).member;
        log_.info("member_joined",
                  {{"member", member.name}, {"endpoint", member.endpoint}, {"groups", join(member.groups, ",")}});
        memory_.holding(view_.bytes());
        publish(*admission.change);
        break;
      }
      case Admission::Kind::updated:
        if (!admission.endpoint_was.empty()) {
          log_.info("member_endpoint_changed",
                    {{"member", admission.member},
                     {"from", admission.endpoint_was},
                     {"to", std::get<protocol::Announce>(*admission.change).member.endpoint}});
        }
        memory_.holding(view_.bytes());
        publish(*admission.change);
        break;
      case Admission::Kind::left:
        log_.info("member_left", {{"member", admission.member}});
        publish(*admission.change);
        memory_.holding(view_.bytes());
        break;
      case Admission::Kind::stale_leave:
        // A replaced instance saying goodbye late: its successor stays.
        log_.debug("stale_leave", {{"member", admission.member}});
        break;
      case Admission::Kind::refreshed:
        break;
    }
  }
}

void BusHub::warn_limited(std::string_view event, std::string_view member, std::string_view why) {
  const auto now = Clock::now();
  if (now - drop_window_ >= std::chrono::seconds(1)) {
    drop_window_ = now;
    drop_lines_ = 0;
  }
  if (drop_lines_ >= kDropLinesPerSecond) {
    ++drops_held_back_;
    return;
  }
  ++drop_lines_;
  const auto held_back = std::to_string(drops_held_back_);
  drops_held_back_ = 0;
  // The name is cut short: it may be what made the announcement bad.
  const auto shown = member.substr(0, 64);
  log_.warn(event, {{"member", shown}, {"error", why}, {"earlier_not_logged", held_back}});
}

void BusHub::on_snapshot_readable() {
  std::vector<zmq::message_t> parts;
  for (Turn turn; turn.more() && receive_multipart(snapshot_, parts);) {
    // [identity, empty, request]. A request without the delimiter is told
    // so, in its own framing; one with more frames is not worth an answer.
    const bool delimited = parts.size() == 3 && parts[1].size() == 0;
    if (!delimited && parts.size() != 2) continue;
    auto request = delimited ? protocol::decode_as<protocol::SnapshotRequest>(as_view(parts[2]))
                             : Result<protocol::SnapshotRequest>(make_error(
                                   ErrorCode::bad_request, "snapshot? needs an empty delimiter frame before it"));
    const auto body = request ? protocol::encode(protocol::Snapshot{view_.members(request->group)})
                              : protocol::encode(protocol::CallReply::failure(0, request.error()));
    if (!request) log_.debug("snapshot_refused", {{"error", request.error().message}});
    metrics_.bus_event(request ? "snapshot_served" : "snapshot_refused");
    std::vector<zmq::message_t> routing;
    routing.push_back(std::move(parts[0]));
    if (delimited) routing.emplace_back();
    zmq::message_t reply(body.data(), body.size());
    if (const auto dropped = send_routed(snapshot_, routing, reply)) {
      log_.debug("snapshot_dropped", {{"reason", *dropped}});
      metrics_.reply_dropped(*dropped);
    }
  }
}

void BusHub::expire() {
  // A member's heartbeat may be waiting behind other announcements: nobody
  // is expired until the queue has been read (the reader runs next turn).
  if (announce_.get(zmq::sockopt::events) & ZMQ_POLLIN) return;
  for (const auto& member : view_.expire(Clock::now())) {
    log_.info("member_expired", {{"member", member.name}});
    metrics_.bus_event("expired");
    members_changed_ = true;
    // Watchers that know "expired" tell it from a leave; older ones act on the leave.
    publish(protocol::Expired{member.name, member.instance});
    publish(protocol::Leave{member.name, member.instance});
  }
  memory_.holding(view_.bytes());
}

void BusHub::publish(const protocol::Message& change) {
  updates_.send(zmq::buffer(protocol::encode(change)), zmq::send_flags::dontwait);
}

}  // namespace rpclb::agent
