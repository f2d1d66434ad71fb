#include "common/membership.hpp"

#include <algorithm>

namespace rpclb {

Clock::time_point MembershipView::expiry_for(const protocol::MemberInfo& info, Clock::time_point now) const {
  return now + std::chrono::milliseconds(std::uint64_t{info.heartbeat_ms} * missed_heartbeats_);
}

MembershipView::Change MembershipView::apply(const protocol::Announce& announce, Clock::time_point now) {
  const auto& info = announce.member;
  auto found = entries_.find(info.name);
  if (found == entries_.end()) {
    entries_.emplace(info.name, Entry{info, expiry_for(info, now)});
    return Change::joined;
  }
  Entry& entry = found->second;
  entry.expires_at = expiry_for(info, now);
  if (entry.info == info) return Change::refreshed;
  entry.info = info;
  return Change::updated;
}

bool MembershipView::apply(const protocol::Leave& leave) {
  auto found = entries_.find(leave.name);
  if (found == entries_.end() || found->second.info.instance != leave.instance) return false;
  entries_.erase(found);
  return true;
}

std::vector<protocol::MemberInfo> MembershipView::expire(Clock::time_point now) {
  std::vector<protocol::MemberInfo> gone;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires_at <= now) {
      gone.push_back(std::move(it->second.info));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::vector<protocol::MemberInfo> MembershipView::members(std::string_view group) const {
  std::vector<protocol::MemberInfo> out;
  for (const auto& [name, entry] : entries_) {
    const auto& groups = entry.info.groups;
    if (group.empty() || std::find(groups.begin(), groups.end(), group) != groups.end()) {
      out.push_back(entry.info);
    }
  }
  return out;
}

std::optional<Clock::time_point> MembershipView::next_expiry() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& [name, entry] : entries_) {
    if (!earliest || entry.expires_at < *earliest) earliest = entry.expires_at;
  }
  return earliest;
}

}  // namespace rpclb
