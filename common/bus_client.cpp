#include "common/bus_client.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "common/endpoint.hpp"
#include "common/member_rules.hpp"
#include "common/resolver.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb {

void merge_snapshot(MergedMembers& merged, protocol::Snapshot snapshot) {
  for (auto& member : snapshot.members) {
    if (validate_member(member)) merged.try_emplace(member.name, std::move(member));
  }
}

DiscoveryOptions discovery_until(std::vector<std::string> bus, std::optional<CurveConfig> curve,
                                 Clock::time_point deadline, std::chrono::milliseconds bus_timeout) {
  DiscoveryOptions discovery;
  discovery.bus = std::move(bus);
  discovery.deadline = std::min(deadline, Clock::now() + bus_timeout);
  discovery.curve = std::move(curve);
  return discovery;
}

Result<std::vector<protocol::MemberInfo>> fetch_members(zmq::context_t& context, const std::string& group,
                                                        const DiscoveryOptions& options) {
  if (options.bus.empty()) return make_error(ErrorCode::bad_request, "no bus endpoint configured");
  const std::string request = protocol::encode(protocol::SnapshotRequest{group});

  std::vector<zmq::socket_t> sockets;
  for (const auto& endpoint : options.bus) {
    auto address = bus_address(endpoint);
    if (!address) return address.error();
    // A hub whose name does not resolve in time is one that did not answer.
    auto resolved = numeric_endpoint(address->snapshot, options.deadline);
    if (!resolved) continue;
    auto socket = make_socket(context, zmq::socket_type::dealer);
    secure_client(socket, options.curve);
    connect_to(socket, *resolved);
    // REQ-compatible envelope: empty delimiter, then the body.
    socket.send(zmq::message_t(), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(request), zmq::send_flags::dontwait);
    sockets.push_back(std::move(socket));
  }

  std::vector<zmq::pollitem_t> items;
  for (auto& socket : sockets) items.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});
  std::vector<bool> answered(sockets.size(), false);
  MergedMembers merged;
  std::optional<Clock::time_point> stop_at;
  std::size_t answers = 0;
  std::vector<zmq::message_t> parts;

  while (answers < sockets.size()) {
    const auto now = Clock::now();
    const auto until = stop_at ? std::min(*stop_at, options.deadline) : options.deadline;
    // Once time is up, one look without waiting: an answer that arrived while
    // this process was not scheduled is taken, not thrown away.
    const bool last_look = now >= until;
    zmq::poll(items.data(), items.size(), last_look ? std::chrono::milliseconds(0) : remaining(until, now));
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      if (!(items[i].revents & ZMQ_POLLIN) || !receive_multipart(sockets[i], parts)) continue;
      if (answered[i] || parts.size() != 2 || parts[0].size() != 0) continue;
      auto snapshot = protocol::decode_as<protocol::Snapshot>(as_view(parts[1]));
      if (!snapshot) continue;  // a confused hub is treated as a silent one
      answered[i] = true;
      ++answers;
      merge_snapshot(merged, std::move(snapshot).value());
      if (!stop_at) stop_at = Clock::now() + options.grace;
    }
    if (last_look) break;
  }

  if (answers == 0) {
    std::string list;
    for (const auto& endpoint : options.bus) list += (list.empty() ? "" : ", ") + endpoint;
    const std::string hint = options.curve ? " (are this client's keys authorised there?)" : "";
    return make_error(ErrorCode::service_unavailable, "no bus hub answered at " + list + hint);
  }
  std::vector<protocol::MemberInfo> members;
  members.reserve(merged.size());
  for (auto& [name, member] : merged) members.push_back(std::move(member));
  return members;
}

}  // namespace rpclb
