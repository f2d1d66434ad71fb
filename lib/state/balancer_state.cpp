#include "lib/state/balancer_state.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <vector>

#include "common/fnv1a.hpp"

namespace rpclb::state {
namespace {

constexpr std::string_view kHeader = "rpclb-state 3\n";
// Far above any real count of timeouts, calls or retries, far below overflow
// when a few are added up.
constexpr std::int64_t kMaxRecordedCount = std::int64_t{1} << 40;

// Keys are node names and policies' counter names; anything that would break
// the line format is never stored (put) and refused when read back (parse).
bool is_storable_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') return false;
  }
  return true;
}

// Stores `value` under `key` (a storable one), or removes the key when
// `drop_empty` and `value` is the empty value; true if anything changed.
template <typename Map>
bool put(Map& entries, std::string_view key, const typename Map::mapped_type& value, bool drop_empty) {
  if (!is_storable_key(key)) return false;
  auto found = entries.find(key);
  if (drop_empty && value == typename Map::mapped_type{}) {
    if (found == entries.end()) return false;
    entries.erase(found);
  } else if (found == entries.end()) {
    entries.emplace(std::string(key), value);
  } else if (found->second == value) {
    return false;
  } else {
    found->second = value;
  }
  return true;
}

bool read_number(std::string_view text, std::int64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  while (true) {
    const auto space = line.find(' ');
    words.push_back(line.substr(0, space));
    if (space == std::string_view::npos) return words;
    line.remove_prefix(space + 1);
  }
}

// The member named `name`, or null. Members arrive ordered by name, so this
// is a binary search.
const Member* find_member(std::span<const Member> members, std::string_view name) {
  auto at = std::lower_bound(members.begin(), members.end(), name,
                             [](const Member& m, std::string_view wanted) { return m.name < wanted; });
  return at != members.end() && at->name == name ? &*at : nullptr;
}

}  // namespace

std::int64_t instance_mark(std::string_view instance) {
  const auto mark = static_cast<std::int64_t>(Fnv1a().add(instance).value() >> 1);
  return mark == 0 ? 1 : mark;
}

WallMs hold_grain(WallMs ttl_ms) {
  return std::clamp<WallMs>(ttl_ms / 60, 1, 10'000);
}

WallMs wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t BalancerState::counter(std::string_view name, std::int64_t fallback) const {
  auto found = counters_.find(name);
  return found == counters_.end() ? fallback : found->second;
}

void BalancerState::set_counter(std::string_view name, std::int64_t value) {
  if (put(counters_, name, value, false)) ++generation_;
}

void BalancerState::erase_counter(std::string_view name) {
  if (auto found = counters_.find(name); found != counters_.end()) {
    counters_.erase(found);
    ++generation_;
  }
}

std::int64_t BalancerState::outstanding(std::string_view node) const {
  auto found = outstanding_.find(node);
  return found == outstanding_.end() ? 0 : found->second;
}

void BalancerState::add_hold(const HoldKey& key, std::int64_t count) {
  const auto room = kMaxOutstanding - outstanding(key.node);
  count = std::min(count, room);
  if (count <= 0) return;
  holds_[key] += count;
  outstanding_[key.node] += count;
  ++generation_;
}

void BalancerState::drop_hold(std::map<HoldKey, std::int64_t>::iterator hold, std::int64_t count) {
  auto total = outstanding_.find(hold->first.node);
  total->second -= count;
  if (total->second <= 0) outstanding_.erase(total);
  hold->second -= count;
  if (hold->second <= 0) holds_.erase(hold);
  ++generation_;
}

void BalancerState::acquire(std::string_view node) {
  if (!is_storable_key(node)) return;
  const auto expires = chooser_.now + chooser_.hold_ttl_ms;
  const auto grain = hold_grain(chooser_.hold_ttl_ms);
  const auto grained = (expires + grain - 1) / grain * grain;
  add_hold(HoldKey{std::string(node), chooser_.owner, grained}, 1);
}

bool BalancerState::release(std::string_view node) {
  // Holds are ordered by node, owner, then expiry: the first of ours is the
  // oldest, and giving that one back never ends a newer call's hold early.
  auto hold = holds_.lower_bound(HoldKey{std::string(node), chooser_.owner, std::numeric_limits<WallMs>::min()});
  if (hold == holds_.end() || hold->first.node != node || hold->first.owner != chooser_.owner) return false;
  drop_hold(hold, 1);
  return true;
}

void BalancerState::expire_holds(const std::function<bool(std::int64_t owner)>& owner_alive) {
  // Past its time, or further off than any hold is given (written by hand,
  // or before the clock was set back): either way it would count too long.
  const auto latest = chooser_.now + chooser_.hold_ttl_ms + hold_grain(chooser_.hold_ttl_ms);
  for (auto hold = holds_.begin(); hold != holds_.end();) {
    const auto& key = hold->first;
    const bool over = key.expires <= chooser_.now || key.expires > latest ||
                      (key.owner != kAnyOwner && key.owner != chooser_.owner && !owner_alive(key.owner));
    auto next = std::next(hold);
    if (over) drop_hold(hold, hold->second);
    hold = next;
  }
}

Ejection BalancerState::ejection(std::string_view node) const {
  auto found = ejections_.find(node);
  return found == ejections_.end() ? Ejection{} : found->second;
}

void BalancerState::set_ejection(std::string_view node, const Ejection& record) {
  // An all-zero record is forgotten.
  if (put(ejections_, node, record, true)) ++generation_;
}

Latency BalancerState::latency(std::string_view node) const {
  auto found = latencies_.find(node);
  return found == latencies_.end() ? Latency{} : found->second;
}

void BalancerState::set_latency(std::string_view node, const Latency& record) {
  if (put(latencies_, node, record, true)) ++generation_;
}

void BalancerState::count_call(std::int64_t second, bool retry) {
  auto& tally = tally_[second];
  ++(retry ? tally.retries : tally.calls);
  ++generation_;
}

Tally BalancerState::tally_since(std::int64_t since) {
  const auto first_kept = tally_.lower_bound(since);
  if (first_kept != tally_.begin()) {
    tally_.erase(tally_.begin(), first_kept);
    ++generation_;
  }
  Tally total;
  for (const auto& [second, tally] : tally_) {
    total.calls += tally.calls;
    total.retries += tally.retries;
  }
  return total;
}

void BalancerState::retain_only(std::span<const Member> group_members) {
  for (auto hold = holds_.begin(); hold != holds_.end();) {
    auto next = std::next(hold);
    if (!find_member(group_members, hold->first.node)) drop_hold(hold, hold->second);
    hold = next;
  }
  std::erase_if(ejections_, [&](const auto& entry) {
    const auto* member = find_member(group_members, entry.first);
    const auto instance = entry.second.instance;
    const bool gone = !member || (instance != 0 && instance != instance_mark(member->instance));
    if (gone) ++generation_;
    return gone;
  });
  std::erase_if(latencies_, [&](const auto& entry) {
    const bool gone = !find_member(group_members, entry.first);
    if (gone) ++generation_;
    return gone;
  });
}

std::string BalancerState::serialize() const {
  std::string out(kHeader);
  auto line = [&](std::string_view kind, std::string_view key, std::initializer_list<std::int64_t> numbers) {
    out += kind;
    out += ' ';
    out += key;
    for (auto number : numbers) {
      out += ' ';
      out += std::to_string(number);
    }
    out += '\n';
  };
  for (const auto& [name, value] : counters_) line("counter", name, {value});
  for (const auto& [key, count] : holds_) line("hold", key.node, {key.owner, key.expires, count});
  for (const auto& [node, record] : ejections_)
    line("eject", node, {record.timeouts, record.ejections, record.until, record.instance});
  for (const auto& [second, tally] : tally_) line("tally", std::to_string(second), {tally.calls, tally.retries});
  for (const auto& [node, record] : latencies_) line("latency", node, {record.estimate_us, record.stamp});
  return out;
}

Result<BalancerState> BalancerState::parse(std::string_view text) {
  BalancerState state;
  if (text.empty()) return state;
  // Older formats are refused like corruption: the state starts afresh.
  if (!text.starts_with(kHeader)) return make_error(ErrorCode::internal, "state file has no valid header");
  text.remove_prefix(kHeader.size());
  auto malformed = [] { return make_error(ErrorCode::internal, "state line is malformed"); };
  while (!text.empty()) {
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) return make_error(ErrorCode::internal, "state file is truncated");
    const auto words = split_words(text.substr(0, newline));
    text.remove_prefix(newline + 1);
    const auto kind = words.front();
    const std::size_t fields = kind == "counter"   ? 3
                               : kind == "tally"   ? 4
                               : kind == "latency" ? 4
                               : kind == "hold"    ? 5
                               : kind == "eject"   ? 6
                                                   : 0;
    if (fields == 0) return make_error(ErrorCode::internal, "state line has an unknown kind");
    if (words.size() != fields || !is_storable_key(words[1])) return malformed();
    std::int64_t n[4] = {0, 0, 0, 0};
    for (std::size_t i = 2; i < fields; ++i) {
      if (!read_number(words[i], n[i - 2])) return malformed();
    }
    const std::string key(words[1]);
    if (kind == "counter") {
      state.counters_[key] = n[0];
    } else if (kind == "hold") {
      // A count past the cap was written by hand or by something else: no
      // caller could hold that many; add_hold caps it rather than overflow later.
      if (n[2] > 0) state.add_hold(HoldKey{key, n[0], n[1]}, n[2]);
    } else if (kind == "eject") {
      if (n[0] < 0 || n[1] < 0 || n[2] < 0) return malformed();
      // Counts no caller could reach are capped, so counting on cannot overflow.
      state.ejections_[key] = Ejection{std::min(n[0], kMaxRecordedCount), std::min<std::int64_t>(n[1], 64), n[2], n[3]};
    } else if (kind == "latency") {
      if (n[0] < 0 || n[1] < 0) return malformed();
      state.latencies_[key] = Latency{n[0], n[1]};
    } else {
      std::int64_t second = 0;
      if (!read_number(key, second) || n[0] < 0 || n[1] < 0) return malformed();
      state.tally_[second] = Tally{std::min(n[0], kMaxRecordedCount), std::min(n[1], kMaxRecordedCount)};
    }
  }
  state.generation_ = 0;
  return state;
}

}  // namespace rpclb::state
