#include "common/match_filter.hpp"

#include <algorithm>

namespace rpclb {

Result<MatchFilter> MatchFilter::parse(const std::vector<std::string>& patterns) {
  MatchFilter filter;
  for (const auto& pattern : patterns) {
    if (pattern.empty()) return make_error(ErrorCode::bad_request, "empty --match pattern");
    const bool is_regex = pattern.size() >= 2 && pattern.front() == '/' && pattern.back() == '/';
    if (!is_regex) {
      filter.exact_.push_back(pattern);
      continue;
    }
    try {
      filter.regexes_.emplace_back(pattern.substr(1, pattern.size() - 2), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return make_error(ErrorCode::bad_request, "invalid --match regex " + pattern + ": " + e.what());
    }
  }
  return filter;
}

bool MatchFilter::matches(std::string_view node) const {
  if (matches_all()) return true;
  if (std::find(exact_.begin(), exact_.end(), node) != exact_.end()) return true;
  return std::any_of(regexes_.begin(), regexes_.end(),
                     [&](const std::regex& re) { return std::regex_match(node.begin(), node.end(), re); });
}

std::vector<protocol::MemberInfo> MatchFilter::apply(std::vector<protocol::MemberInfo> members) const {
  if (matches_all()) return members;
  std::erase_if(members, [&](const protocol::MemberInfo& m) { return !matches(m.name); });
  return members;
}

}  // namespace rpclb
