#include "common/bus_client.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "common/endpoint.hpp"
#include "common/member_rules.hpp"
#include "common/poll_set.hpp"
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

namespace {

// How often names still being looked up are looked at while hubs are polled.
constexpr std::chrono::milliseconds kLookupPollInterval{5};

// A snapshot request on its way to the hub at `endpoint` (an address).
zmq::socket_t ask_hub(zmq::context_t& context, const std::string& endpoint, const std::string& request,
                      const std::optional<CurveConfig>& curve) {
  auto socket = make_socket(context, zmq::socket_type::dealer);
  secure_client(socket, curve);
  connect_to(socket, endpoint);
  // REQ-compatible envelope: empty delimiter, then the body.
  socket.send(zmq::message_t(), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(request), zmq::send_flags::dontwait);
  return socket;
}

}  // namespace

Result<std::vector<Member>> fetch_members(zmq::context_t& context, const std::string& group,
                                          const DiscoveryOptions& options) {
  if (options.bus.empty()) return make_error(ErrorCode::bad_request, "no bus endpoint configured");
  const std::string request = protocol::encode(protocol::SnapshotRequest{group});

  // Every hub's name is looked up at once, and each hub asked as soon as its
  // address is known: a name the resolver never answers for costs the other
  // hubs nothing, and is a hub that did not answer.
  std::vector<EndpointLookup> lookups;
  for (const auto& endpoint : options.bus) {
    auto address = bus_address(endpoint);
    if (!address) return address.error();
    lookups.emplace_back(address->snapshot);
  }
  std::vector<std::size_t> unresolved(lookups.size());
  for (std::size_t i = 0; i < unresolved.size(); ++i) unresolved[i] = i;

  std::vector<zmq::socket_t> sockets;
  PollSet poll;
  std::vector<bool> answered;
  MergedMembers merged;
  std::optional<Clock::time_point> stop_at;
  std::size_t answers = 0;
  std::vector<zmq::message_t> parts;

  while (true) {
    std::erase_if(unresolved, [&](std::size_t i) {
      auto known = lookups[i].answer();
      if (!known) return false;
      if (*known) {
        sockets.push_back(ask_hub(context, **known, request, options.curve));
        answered.push_back(false);
      }
      return true;
    });
    if (unresolved.empty() && answers == sockets.size()) break;
    poll.clear();
    for (auto& socket : sockets) poll.add(socket);  // item i: sockets[i]

    const auto now = Clock::now();
    const auto until = stop_at ? std::min(*stop_at, options.deadline) : options.deadline;
    // Once time is up, one look without waiting: an answer that arrived while
    // this process was not scheduled is taken, not thrown away.
    const bool last_look = now >= until;
    auto wait = last_look ? std::chrono::milliseconds(0) : remaining(until, now);
    if (!unresolved.empty()) wait = std::min(wait, kLookupPollInterval);
    poll.wait(wait);
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      if (!poll.readable(i) || !receive_multipart(sockets[i], parts)) continue;
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
    return make_error(ErrorCode::service_unavailable, std::string(kNoHubAnswered) + list + hint);
  }
  std::vector<Member> members;
  members.reserve(merged.size());
  for (auto& [name, member] : merged) members.push_back(std::move(member));
  return members;
}

}  // namespace rpclb
