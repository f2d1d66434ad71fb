#include "common/match_filter.hpp"

#include <re2/re2.h>

#include <algorithm>

namespace rpclb {
namespace {

// "/REGEX/" or "/REGEX/i" -> the expression and whether case matters.
struct RegexPattern {
  std::string_view expression;
  bool ignore_case = false;
};

Result<RegexPattern> split_regex(std::string_view pattern) {
  const auto close = pattern.rfind('/');
  const auto flags = pattern.substr(close + 1);
  if (close == 0 || (flags != "" && flags != "i")) {
    return make_error(ErrorCode::bad_request, "--match pattern " + std::string(pattern) +
                                                  " starts with / so it is a regex: write /REGEX/, or /REGEX/i "
                                                  "to ignore case");
  }
  return RegexPattern{pattern.substr(1, close - 1), flags == "i"};
}

}  // namespace

Result<MatchFilter> MatchFilter::parse(const std::vector<std::string>& patterns) {
  MatchFilter filter;
  for (const auto& pattern : patterns) {
    if (pattern.empty()) return make_error(ErrorCode::bad_request, "empty --match pattern");
    if (pattern.front() != '/') {  // no node name contains '/'
      filter.exact_.push_back(pattern);
      continue;
    }
    auto regex = split_regex(pattern);
    if (!regex) return regex.error();
    RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!regex->ignore_case);
    auto compiled =
        std::make_shared<const RE2>(re2::StringPiece(regex->expression.data(), regex->expression.size()), options);
    if (!compiled->ok()) {
      return make_error(ErrorCode::bad_request, "invalid --match regex " + pattern + ": " + compiled->error());
    }
    filter.regexes_.push_back(std::move(compiled));
  }
  return filter;
}

bool MatchFilter::matches(std::string_view node) const {
  if (matches_all()) return true;
  if (std::find(exact_.begin(), exact_.end(), node) != exact_.end()) return true;
  const re2::StringPiece text(node.data(), node.size());
  return std::any_of(regexes_.begin(), regexes_.end(),
                     [&](const std::shared_ptr<const re2::RE2>& re) { return RE2::FullMatch(text, *re); });
}

std::vector<Member> MatchFilter::apply(std::vector<Member> members) const {
  if (matches_all()) return members;
  std::erase_if(members, [&](const Member& m) { return !matches(m.name); });
  return members;
}

}  // namespace rpclb
