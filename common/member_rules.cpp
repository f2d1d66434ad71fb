#include "common/member_rules.hpp"

#include "common/option_ranges.hpp"

#include <algorithm>
#include <string>

#include "common/endpoint.hpp"

namespace rpclb {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == ':' || c == '@';
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// Shown in errors (and so in the hub's log) at most this long.
std::string excerpt(std::string_view text) {
  constexpr std::size_t kShown = 64;
  if (text.size() <= kShown) return std::string(text);
  return std::string(text.substr(0, kShown)) + "... (" + std::to_string(text.size()) + " bytes)";
}

Status validate_instance(std::string_view instance) {
  if (instance.empty() || instance.size() > kMaxInstanceLength ||
      !std::all_of(instance.begin(), instance.end(), is_name_char)) {
    return make_error(ErrorCode::bad_request, "instance '" + excerpt(instance) + "' is not 1 to " +
                                                  std::to_string(kMaxInstanceLength) + " name characters");
  }
  return {};
}

}  // namespace

Status validate_name(std::string_view what, std::string_view name) {
  const auto shown = std::string(what) + " '" + excerpt(name) + "'";
  if (name.empty() || name.size() > kMaxNameLength) {
    return make_error(ErrorCode::bad_request,
                      shown + " must be 1 to " + std::to_string(kMaxNameLength) + " characters long");
  }
  const char first = name.front();
  const bool starts_well = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') ||
                           (first >= '0' && first <= '9') || first == '_';
  if (!starts_well || !std::all_of(name.begin(), name.end(), is_name_char)) {
    return make_error(ErrorCode::bad_request,
                      shown +
                          " may hold only letters, digits and . _ - : @, and must start with a letter, "
                          "digit or _");
  }
  return {};
}

Status validate_member_endpoint(std::string_view endpoint) {
  const auto shown = "endpoint '" + excerpt(endpoint) + "'";
  if (endpoint.size() > kMaxEndpointLength) {
    return make_error(ErrorCode::bad_request, shown + " is longer than " + std::to_string(kMaxEndpointLength));
  }
  if (std::any_of(endpoint.begin(), endpoint.end(), [](char c) { return c <= ' ' || c == '\x7f'; })) {
    return make_error(ErrorCode::bad_request, shown + " contains spaces or control characters");
  }
  if (auto valid = validate_endpoint(endpoint, false); !valid) return valid;
  if (!endpoint.starts_with("tcp://")) return {};
  const auto host = endpoint.substr(6, endpoint.rfind(':') - 6);
  // validate_endpoint checked an [IPv6] address already.
  if (!is_ipv6_host(host) && !std::all_of(host.begin(), host.end(), is_host_char)) {
    return make_error(ErrorCode::bad_request, shown + " has an invalid host");
  }
  return {};
}

Status validate_member(const Member& member) {
  if (auto valid = validate_name("name", member.name); !valid) return valid;
  const auto of = [&](const Error& error) {
    return make_error(error.code, "member " + member.name + ": " + error.message);
  };
  if (auto valid = validate_instance(member.instance); !valid) return of(valid.error());
  if (auto valid = validate_member_endpoint(member.endpoint); !valid) return of(valid.error());
  if (member.groups.empty() || member.groups.size() > kMaxGroupsPerMember) {
    return of({ErrorCode::bad_request, "a member belongs to 1 to " + std::to_string(kMaxGroupsPerMember) +
                                           " groups, not " + std::to_string(member.groups.size())});
  }
  for (std::size_t i = 0; i < member.groups.size(); ++i) {
    if (auto valid = validate_name("group", member.groups[i]); !valid) return of(valid.error());
    if (std::find(member.groups.begin(), member.groups.begin() + static_cast<std::ptrdiff_t>(i), member.groups[i]) !=
        member.groups.begin() + static_cast<std::ptrdiff_t>(i)) {
      return of({ErrorCode::bad_request, "group " + member.groups[i] + " is listed twice"});
    }
  }
  if (auto valid = check_range(agent_ranges::kWeight, member.weight); !valid) return of(valid.error());
  if (auto valid = check_range(agent_ranges::kHeartbeatMs, member.heartbeat_ms); !valid) {
    return of(valid.error());
  }
  if (member.version.size() > kMaxVersionLength ||
      std::any_of(member.version.begin(), member.version.end(), [](char c) { return c < ' ' || c == '\x7f'; })) {
    return of({ErrorCode::bad_request,
               "version must be at most " + std::to_string(kMaxVersionLength) + " printable characters"});
  }
  return {};
}

Status validate_leave(const protocol::Leave& leave) {
  if (auto valid = validate_name("name", leave.name); !valid) return valid;
  return validate_instance(leave.instance);
}

std::size_t member_footprint(const Member& member) {
  // The strings, plus the map node, the entry and the strings' own headers.
  std::size_t bytes =
      256 + member.name.size() + member.instance.size() + member.endpoint.size() + member.version.size();
  for (const auto& group : member.groups) bytes += 32 + group.size();
  return bytes;
}

namespace {

Error out_of_range(const OptionRange& range, const std::string& value) {
  return {ErrorCode::bad_request, std::string(range.what) + " must be from " + std::to_string(range.low) + " to " +
                                      std::to_string(range.high) + ", got " + value};
}

}  // namespace

Status check_range(const OptionRange& range, std::uint64_t value) {
  if (value >= range.low && value <= range.high) return {};
  return out_of_range(range, std::to_string(value));
}

Status check_signed_range(const OptionRange& range, std::int64_t value) {
  if (value < 0) return out_of_range(range, std::to_string(value));
  return check_range(range, static_cast<std::uint64_t>(value));
}

}  // namespace rpclb
