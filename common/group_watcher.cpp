#include "common/group_watcher.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "common/endpoint.hpp"
#include "common/member_rules.hpp"
#include "common/membership.hpp"
#include "common/poll_set.hpp"
#include "common/socket_monitor.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb {
namespace {

// The view holds every member the hubs tell about; what is reported is the
// part of it in the group and the filter, compared before and after each
// change.
class ScopedView {
 public:
  ScopedView(const std::string& group, const MatchFilter& filter, const MembershipEvent& emit)
      : group_(group), filter_(filter), emit_(emit) {}

  void apply(const protocol::Announce& announce) {
    const auto before = in_scope(announce.member.name);
    view_.apply(announce, Clock::now());
    report(before, in_scope(announce.member.name));
  }
  void apply(const protocol::Leave& leave, std::string_view gone = "leave") {
    const auto before = in_scope(leave.name);
    view_.apply(leave);
    report(before, in_scope(leave.name), gone);
  }
  // The hub's "leave" that follows finds the member gone, and says nothing.
  void apply(const protocol::Expired& expired) { apply(protocol::Leave{expired.name, expired.instance}, "expire"); }
  // Replaces the view by `snapshot`, reporting every difference; how many.
  int resync(const std::vector<Member>& snapshot) {
    MembershipView fresh;
    const auto now = Clock::now();
    for (const auto& member : snapshot) fresh.apply(protocol::Announce{member}, now);
    std::set<std::string> names;
    for (const auto& member : view_.members()) names.insert(member.name);
    for (const auto& member : snapshot) names.insert(member.name);
    std::vector<std::optional<Member>> before;
    for (const auto& name : names) before.push_back(in_scope(name));
    view_ = std::move(fresh);
    int changes = 0;
    auto was = before.begin();
    for (const auto& name : names) changes += report(*was++, in_scope(name)) ? 1 : 0;
    return changes;
  }

 private:
  // Whether anything was reported.
  bool report(const std::optional<Member>& before, const std::optional<Member>& after,
              std::string_view gone = "leave") {
    if (!before && after) {
      emit_("join", *after);
    } else if (before && !after) {
      emit_(gone, *before);
    } else if (before && after && !(*before == *after)) {
      emit_("update", *after);
    } else {
      return false;
    }
    return true;
  }

  std::optional<Member> in_scope(const std::string& name) const {
    const auto* member = view_.find(name);
    if (!member || !filter_.matches(name)) return std::nullopt;
    if (std::find(member->groups.begin(), member->groups.end(), group_) == member->groups.end()) return std::nullopt;
    return *member;
  }

  // Hubs expire members and tell us; this view never expires anyone itself.
  MembershipView view_;
  const std::string& group_;
  const MatchFilter& filter_;
  const MembershipEvent& emit_;
};

// One hub's update feed, and whether its connection was lost since the
// view last matched the bus.
struct HubFeed {
  HubFeed(zmq::context_t& context, std::string bus_, zmq::socket_t socket_)
      : bus(std::move(bus_)),
        socket(std::move(socket_)),
        monitor(context, socket, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) {}

  std::string bus;  // as the operator wrote it
  zmq::socket_t socket;
  SocketMonitor monitor;  // declared after the socket: gone before it
  bool lost = false;      // since the view last matched the bus
  bool back = false;      // lost, and connected again since
};

// Retries a resynchronisation that found no hub this often.
constexpr std::chrono::milliseconds kResyncRetry{1000};
// How long after a hub is back its snapshot is taken: members reconnect to
// a restarted hub within link_liveness::kReconnectIntervalMax and announce
// at once, so by then it knows them again (taken at once, the snapshot of a
// hub that has just started would show every member leaving and joining).
constexpr auto kResyncSettle = 2 * link_liveness::kReconnectIntervalMax;

}  // namespace

Status watch_group(zmq::context_t& context, const std::string& group, const MatchFilter& filter,
                   const DiscoveryOptions& discovery, StopSource& stop, const MembershipEvent& emit,
                   const WatchNotice& notice) {
  if (group.empty()) return make_error(ErrorCode::bad_request, "a group name is required");
  const auto snapshot_time = std::max(std::chrono::milliseconds(1), remaining(discovery.deadline));
  std::vector<std::unique_ptr<HubFeed>> feeds;  // the monitors hold their sockets by reference
  for (const auto& endpoint : discovery.bus) {
    auto address = bus_address(endpoint);
    if (!address) return address.error();
    auto socket = make_socket(context, zmq::socket_type::sub);
    reconnect_promptly(socket);
    secure_client(socket, discovery.curve);
    socket.set(zmq::sockopt::subscribe, "");
    auto& feed = *feeds.emplace_back(std::make_unique<HubFeed>(context, endpoint, std::move(socket)));
    connect_to(feed.socket, address->updates);
  }
  auto snapshot = fetch_members(context, group, discovery);
  if (!snapshot) return snapshot.error();
  ScopedView view(group, filter, emit);
  for (const auto& member : *snapshot) view.apply(protocol::Announce{member});
  auto tell = [&](const std::string& text) {
    if (notice) notice(text);
  };

  // Every feed is drained after each wait, whichever woke it.
  PollSet poll;
  const auto stopping = poll.add(stop.fd());
  for (auto& feed : feeds) {
    poll.add(feed->socket);
    poll.add(feed->monitor.events());
  }
  std::vector<zmq::message_t> parts;
  constexpr auto kNever = Clock::time_point::max();
  auto resync_at = kNever;  // a hub came back: take a fresh snapshot then
  while (true) {
    const auto wait = resync_at == kNever ? std::chrono::milliseconds(-1) : remaining(resync_at);
    poll.wait(wait);
    if (poll.readable(stopping) && !stop.take().empty()) return {};
    for (auto& owned : feeds) {
      auto& feed = *owned;
      while (receive_multipart(feed.socket, parts)) {
        if (parts.size() != 1) continue;
        auto message = protocol::decode(as_view(parts[0]));
        if (!message) continue;
        if (auto* announce = std::get_if<protocol::Announce>(&*message)) {
          if (validate_member(announce->member)) view.apply(*announce);
        } else if (auto* leave = std::get_if<protocol::Leave>(&*message)) {
          view.apply(*leave);
        } else if (auto* expired = std::get_if<protocol::Expired>(&*message)) {
          view.apply(*expired);
        }
      }
      while (auto event = feed.monitor.next()) {
        if (event->id == ZMQ_EVENT_DISCONNECTED) {
          if (!feed.lost) tell("lost the bus hub at " + feed.bus + ": its updates are missed until it is back");
          feed.lost = true;
          feed.back = false;
        } else if (event->id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && feed.lost) {
          feed.back = true;
          resync_at = std::min(resync_at, Clock::now() + kResyncSettle);
        }
      }
    }
    if (resync_at == kNever || Clock::now() < resync_at) continue;
    // The updates sockets are connected again before the snapshot is asked
    // for, as at the start: no change can fall between the two.
    auto options = discovery;
    options.deadline = Clock::now() + snapshot_time;
    auto fresh = fetch_members(context, group, options);
    if (!fresh) {
      tell("could not resynchronise: " + fresh.error().message + " (trying again)");
      resync_at = Clock::now() + kResyncRetry;
      continue;
    }
    resync_at = kNever;
    std::string hubs;
    for (auto& feed : feeds) {
      // A hub still away is resynchronised with once it is back.
      if (!feed->back) continue;
      hubs += (hubs.empty() ? "" : ", ") + feed->bus;
      feed->lost = false;
      feed->back = false;
    }
    const int changes = view.resync(*fresh);
    const auto after = hubs.empty() ? std::string() : " after losing " + hubs;
    tell("resynchronised with the bus" + after + ": " + std::to_string(changes) +
         (changes == 1 ? " change" : " changes") + " while it was away");
  }
}

}  // namespace rpclb
