// Following one group's membership as it changes: the Clone pattern's
// subscriber. Subscribe to every hub's updates first, then take a snapshot, then
// apply updates to a MembershipView, so no change can fall between the
// snapshot and the updates.
#pragma once

#include <zmq.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "common/bus_client.hpp"
#include "common/match_filter.hpp"
#include "common/protocol.hpp"
#include "common/stop_source.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

// "join", "update" (load, endpoint, weight), "leave" (it said so) or
// "expire" (a hub dropped it when its heartbeats stopped), with the member as
// it is now (as it was, for a leave or an expiry).
using MembershipEvent = std::function<void(std::string_view event, const Member& member)>;
// What the watch has to say about itself (a hub lost, a resynchronisation),
// for the operator: not a membership event.
using WatchNotice = std::function<void(const std::string& notice)>;

// Reports a "join" for each current member of `group` that passes `filter`,
// then every change hubs report, until `stop` is readable. Members outside
// the group or the filter are never reported; one that moves out of them is
// reported as a leave. `discovery.deadline` bounds the first snapshot; each
// later one gets as long.
//
// A hub's updates missed while its connection was down (the hub restarted,
// or went silent until the ZMTP heartbeats gave up on it) are not lost: once
// the connection is back, a fresh snapshot is taken and what changed
// meanwhile is reported as events, with a notice saying so.
Status watch_group(zmq::context_t& context, const std::string& group, const MatchFilter& filter,
                   const DiscoveryOptions& discovery, StopSource& stop, const MembershipEvent& emit,
                   const WatchNotice& notice = {});

}  // namespace rpclb
