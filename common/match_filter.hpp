// MatchFilter: the `--match` node filter. Each pattern is either an exact node
// name or `/regex/`, which must match the whole name (ECMAScript syntax). No
// patterns means every node matches. Exactness is deliberate: substring
// matching routes traffic to look-alike nodes ("web-1" vs "web-10").
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

class MatchFilter {
 public:
  MatchFilter() = default;  // matches everything
  static Result<MatchFilter> parse(const std::vector<std::string>& patterns);

  bool matches(std::string_view node) const;
  std::vector<protocol::MemberInfo> apply(std::vector<protocol::MemberInfo> members) const;
  bool matches_all() const { return exact_.empty() && regexes_.empty(); }

 private:
  std::vector<std::string> exact_;
  std::vector<std::regex> regexes_;
};

}  // namespace rpclb
