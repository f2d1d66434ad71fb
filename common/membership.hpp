// MembershipView: who is in which group right now, as learned from the bus.
// Fed by announcements and leaves; members whose heartbeats stop are expired
// after `missed_heartbeats` of their own announced interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/protocol.hpp"

namespace rpclb {

// How much a view may hold: what bounds a hub's memory whatever is announced
// to it. The defaults keep a whole snapshot well inside one frame.
struct MembershipLimits {
  std::size_t max_members = 10'000;
  std::size_t max_bytes = 4 * 1024 * 1024;  // by member_footprint()
};

class MembershipView {
 public:
  // `full`: a new member (or a grown one) would pass the limits; nothing changed.
  // `conflict`: another instance holds the name; nothing changed. Names are
  // unique: the first live holder keeps its name until it leaves or expires
  // (a restarted agent sends a leave for its dead predecessor first).
  enum class Change { joined, updated, refreshed, full, conflict };

  explicit MembershipView(std::uint32_t missed_heartbeats = 3, MembershipLimits limits = {})
      : missed_heartbeats_(missed_heartbeats), limits_(limits) {}

  // The announcement must be valid (validate_member): the view trusts it.
  Change apply(const protocol::Announce& announce, Clock::time_point now);
  // A leave from an older instance of a restarted agent is ignored.
  bool apply(const protocol::Leave& leave);
  // Removes members whose last heartbeat is too old and returns them.
  std::vector<Member> expire(Clock::time_point now);

  // Members of `group` (every member if empty), ordered by name.
  std::vector<Member> members(std::string_view group = {}) const;
  // The member named `name`, or null.
  const Member* find(std::string_view name) const;
  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::optional<Clock::time_point> next_expiry() const;

 private:
  struct Entry {
    Member info;
    Clock::time_point expires_at;
  };
  Clock::time_point expiry_for(const Member& info, Clock::time_point now) const;

  std::uint32_t missed_heartbeats_;
  MembershipLimits limits_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::size_t bytes_ = 0;  // member_footprint() of every entry
};

}  // namespace rpclb
