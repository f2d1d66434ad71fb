// MatchFilter: the `--match` node filter. Each pattern is either an exact node
// name or a regular expression, `/REGEX/` (or `/REGEX/i` to ignore case), that
// must match the whole name. No patterns means every node matches; with
// several, a node matches if any one does. Exactness is deliberate: substring
// matching routes traffic to look-alike nodes ("web-1" vs "web-10").
//
// Regular expressions are RE2's syntax, matched in time linear in the name:
// a pattern can never hang a caller or exhaust its stack, whatever the names
// on the bus (backreferences and lookaround are not supported).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "rpclb/error.hpp"

namespace re2 {
class RE2;
}

namespace rpclb {

class MatchFilter {
 public:
  MatchFilter() = default;  // matches everything
  static Result<MatchFilter> parse(const std::vector<std::string>& patterns);

  bool matches(std::string_view node) const;
  std::vector<Member> apply(std::vector<Member> members) const;
  bool matches_all() const { return exact_.empty() && regexes_.empty(); }

 private:
  std::vector<std::string> exact_;
  std::vector<std::shared_ptr<const re2::RE2>> regexes_;  // compiled once, immutable, shared by copies
};

}  // namespace rpclb
