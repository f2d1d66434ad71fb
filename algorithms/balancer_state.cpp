#include "algorithms/balancer_state.hpp"

#include <algorithm>
#include <charconv>

namespace rpclb::algorithms {
namespace {

// Keys are node names and policies' counter names; anything that would break
// the line format is never stored (put) and refused when read back (parse).
bool is_storable_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') return false;
  }
  return true;
}

}  // namespace

std::int64_t BalancerState::counter(std::string_view name, std::int64_t fallback) const {
  auto found = counters_.find(name);
  return found == counters_.end() ? fallback : found->second;
}

void BalancerState::set_counter(std::string_view name, std::int64_t value) {
  put(counters_, name, value, false);
}

std::int64_t BalancerState::outstanding(std::string_view node) const {
  auto found = outstanding_.find(node);
  return found == outstanding_.end() ? 0 : found->second;
}

void BalancerState::acquire(std::string_view node) {
  put(outstanding_, node, std::min(outstanding(node) + 1, kMaxOutstanding), true);
}

void BalancerState::release(std::string_view node) {
  const auto count = outstanding(node);
  if (count > 0) put(outstanding_, node, count - 1, true);
}

void BalancerState::put(Entries& entries, std::string_view key, std::int64_t value, bool drop_zero) {
  if (!is_storable_key(key)) return;
  auto found = entries.find(key);
  if (drop_zero && value == 0) {
    // Zero counts are not stored: the map holds only nodes with something outstanding.
    if (found == entries.end()) return;
    entries.erase(found);
  } else if (found == entries.end()) {
    entries.emplace(std::string(key), value);
  } else if (found->second == value) {
    return;
  } else {
    found->second = value;
  }
  ++generation_;
}

void BalancerState::retain_only(std::span<const protocol::MemberInfo> group_members) {
  // Members arrive ordered by name, so membership is a binary search.
  std::erase_if(outstanding_, [&](const auto& entry) {
    auto at = std::lower_bound(group_members.begin(), group_members.end(), entry.first,
                               [](const protocol::MemberInfo& m, const std::string& name) { return m.name < name; });
    const bool gone = at == group_members.end() || at->name != entry.first;
    if (gone) ++generation_;
    return gone;
  });
}

std::string BalancerState::serialize() const {
  std::string out = "rpclb-state 2\n";
  auto write = [&](std::string_view kind, const Entries& entries) {
    for (const auto& [key, value] : entries) {
      out += kind;
      out += ' ';
      out += key;
      out += ' ';
      out += std::to_string(value);
      out += '\n';
    }
  };
  write("counter", counters_);
  write("node", outstanding_);
  return out;
}

Result<BalancerState> BalancerState::parse(std::string_view text) {
  BalancerState state;
  if (text.empty()) return state;
  constexpr std::string_view kHeader = "rpclb-state 2\n";
  if (!text.starts_with(kHeader)) return make_error(ErrorCode::internal, "state file has no valid header");
  text.remove_prefix(kHeader.size());
  while (!text.empty()) {
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) return make_error(ErrorCode::internal, "state file is truncated");
    auto line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    const auto first = line.find(' ');
    const auto last = line.rfind(' ');
    if (first == std::string_view::npos || first == last)
      return make_error(ErrorCode::internal, "state line is malformed");
    const auto kind = line.substr(0, first);
    const auto key = line.substr(first + 1, last - first - 1);
    const auto number = line.substr(last + 1);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size() || !is_storable_key(key)) {
      return make_error(ErrorCode::internal, "state line is malformed");
    }
    if (kind == "counter") {
      state.counters_[std::string(key)] = value;
    } else if (kind == "node" && value > 0) {
      // A count past the cap was written by hand or by something else: no
      // caller could hold that many; cap it rather than overflow later.
      state.outstanding_[std::string(key)] = std::min(value, kMaxOutstanding);
    } else if (kind != "node") {
      return make_error(ErrorCode::internal, "state line has an unknown kind");
    }
  }
  return state;
}

}  // namespace rpclb::algorithms
