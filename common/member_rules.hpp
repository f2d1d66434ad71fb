// What a member announcement may contain. Agents check their own at start,
// hubs check every announcement and drop what fails (with a log line), and
// clients skip what fails in a snapshot or an update, so one bad (or buggy,
// or hostile) member can never break discovery of the others.
//
//   name, group   1..255 of [A-Za-z0-9._:@-], starting with a letter, digit or _
//   groups        1..64 per member, no repeats
//   instance      1..64 of the name characters
//   endpoint      tcp://HOST:PORT (HOST a name, IPv4 or [IPv6]) or ipc://PATH, at most 512
//   weight        1..1,000,000
//   heartbeat_ms  10..600,000
//   version       at most 64 printable characters
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/protocol.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

inline constexpr std::size_t kMaxNameLength = 255;
inline constexpr std::size_t kMaxGroupsPerMember = 64;
inline constexpr std::size_t kMaxInstanceLength = 64;
inline constexpr std::size_t kMaxEndpointLength = 512;
inline constexpr std::size_t kMaxVersionLength = 64;
inline constexpr std::uint32_t kMinWeight = 1;
inline constexpr std::uint32_t kMaxWeight = 1'000'000;
inline constexpr std::uint32_t kMinHeartbeatMs = 10;
inline constexpr std::uint32_t kMaxHeartbeatMs = 600'000;

// A node or group name; `what` names it in the error ("name", "group").
Status validate_name(std::string_view what, std::string_view name);
// An endpoint a caller can connect to (no wildcard host or port).
Status validate_member_endpoint(std::string_view endpoint);
Status validate_member(const Member& member);
Status validate_leave(const protocol::Leave& leave);

// Roughly what keeping `member` costs a hub, in bytes: what bounds its memory.
std::size_t member_footprint(const Member& member);

}  // namespace rpclb
