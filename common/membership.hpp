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

#include "common/protocol.hpp"

namespace rpclb {

using Clock = std::chrono::steady_clock;

class MembershipView {
 public:
  enum class Change { joined, updated, refreshed, ignored };

  explicit MembershipView(std::uint32_t missed_heartbeats = 3) : missed_heartbeats_(missed_heartbeats) {}

  Change apply(const protocol::Announce& announce, Clock::time_point now);
  // A leave from an older instance of a restarted agent is ignored.
  bool apply(const protocol::Leave& leave);
  // Removes members whose last heartbeat is too old and returns them.
  std::vector<protocol::MemberInfo> expire(Clock::time_point now);

  // Members of `group` (every member if empty), ordered by name.
  std::vector<protocol::MemberInfo> members(std::string_view group = {}) const;
  std::size_t size() const { return entries_.size(); }
  std::optional<Clock::time_point> next_expiry() const;

 private:
  struct Entry {
    protocol::MemberInfo info;
    Clock::time_point expires_at;
  };
  Clock::time_point expiry_for(const protocol::MemberInfo& info, Clock::time_point now) const;

  std::uint32_t missed_heartbeats_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace rpclb
