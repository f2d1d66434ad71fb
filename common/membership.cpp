#include "common/membership.hpp"

#include <algorithm>

#include "common/member_rules.hpp"

namespace rpclb {

Clock::time_point MembershipView::expiry_for(const Member& info, Clock::time_point now) const {
  return now + std::chrono::milliseconds(std::uint64_t{info.heartbeat_ms} * missed_heartbeats_);
}

namespace {

bool same_but_host_figures(const Member& held, const Member& heard) {
  return held.name == heard.name && held.instance == heard.instance && held.endpoint == heard.endpoint &&
         held.groups == heard.groups && held.weight == heard.weight && held.load == heard.load &&
         held.heartbeat_ms == heard.heartbeat_ms && held.version == heard.version;
}

}  // namespace

MembershipView::Change MembershipView::apply(const protocol::Announce& announce, Clock::time_point now) {
  const auto& info = announce.member;
  auto found = entries_.find(info.name);
  const auto footprint = member_footprint(info);
  if (found == entries_.end()) {
    if (entries_.size() >= limits_.max_members || bytes_ + footprint > limits_.max_bytes) return Change::full;
    entries_.emplace(info.name, Entry{info, expiry_for(info, now)});
    bytes_ += footprint;
    return Change::joined;
  }
  Entry& entry = found->second;
  if (entry.info.instance != info.instance) return Change::conflict;
  // The host's figures move with nearly every heartbeat: kept, so snapshots
  // carry them, but not a change watchers are told of.
  if (same_but_host_figures(entry.info, info)) {
    entry.info.cpu = info.cpu;
    entry.info.load_average = info.load_average;
    entry.expires_at = expiry_for(info, now);
    return Change::refreshed;
  }
  const auto old_footprint = member_footprint(entry.info);
  if (bytes_ - old_footprint + footprint > limits_.max_bytes) return Change::full;
  bytes_ = bytes_ - old_footprint + footprint;
  entry.expires_at = expiry_for(info, now);
  entry.info = info;
  return Change::updated;
}

bool MembershipView::apply(const protocol::Leave& leave) {
  auto found = entries_.find(leave.name);
  if (found == entries_.end() || found->second.info.instance != leave.instance) return false;
  bytes_ -= member_footprint(found->second.info);
  entries_.erase(found);
  return true;
}

std::vector<Member> MembershipView::expire(Clock::time_point now) {
  std::vector<Member> gone;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires_at <= now) {
      bytes_ -= member_footprint(it->second.info);
      gone.push_back(std::move(it->second.info));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

const Member* MembershipView::find(std::string_view name) const {
  auto found = entries_.find(name);
  return found == entries_.end() ? nullptr : &found->second.info;
}

std::vector<Member> MembershipView::members(std::string_view group) const {
  std::vector<Member> out;
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
