#include "common/group_watcher.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "common/endpoint.hpp"
#include "common/member_rules.hpp"
#include "common/membership.hpp"
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
  void apply(const protocol::Leave& leave) {
    const auto before = in_scope(leave.name);
    view_.apply(leave);
    report(before, in_scope(leave.name));
  }

 private:
  void report(const std::optional<protocol::MemberInfo>& before, const std::optional<protocol::MemberInfo>& after) {
    if (!before && after) {
      emit_("join", *after);
    } else if (before && !after) {
      emit_("leave", *before);
    } else if (before && after && !(*before == *after)) {
      emit_("update", *after);
    }
  }

  std::optional<protocol::MemberInfo> in_scope(const std::string& name) const {
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

}  // namespace

Status watch_group(zmq::context_t& context, const std::string& group, const MatchFilter& filter,
                   const DiscoveryOptions& discovery, StopSource& stop, const MembershipEvent& emit) {
  if (group.empty()) return make_error(ErrorCode::bad_request, "a group name is required");
  std::vector<zmq::socket_t> subscriptions;
  for (const auto& endpoint : discovery.bus) {
    auto address = bus_address(endpoint);
    if (!address) return address.error();
    auto socket = make_socket(context, zmq::socket_type::sub);
    reconnect_promptly(socket);
    secure_client(socket, discovery.curve);
    socket.set(zmq::sockopt::subscribe, "");
    connect_to(socket, address->updates);
    subscriptions.push_back(std::move(socket));
  }
  auto snapshot = fetch_members(context, group, discovery);
  if (!snapshot) return snapshot.error();
  ScopedView view(group, filter, emit);
  for (const auto& member : *snapshot) view.apply(protocol::Announce{member});

  std::vector<zmq::pollitem_t> items{{nullptr, stop.fd(), ZMQ_POLLIN, 0}};
  for (auto& socket : subscriptions) items.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});
  std::vector<zmq::message_t> parts;
  while (true) {
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(-1));
    if ((items[0].revents & ZMQ_POLLIN) && !stop.take().empty()) return {};
    for (auto& socket : subscriptions) {
      while (receive_multipart(socket, parts)) {
        if (parts.size() != 1) continue;
        auto message = protocol::decode(as_view(parts[0]));
        if (!message) continue;
        if (auto* announce = std::get_if<protocol::Announce>(&*message)) {
          if (validate_member(announce->member)) view.apply(*announce);
        } else if (auto* leave = std::get_if<protocol::Leave>(&*message)) {
          view.apply(*leave);
        }
      }
    }
  }
}

}  // namespace rpclb
