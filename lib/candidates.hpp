// Candidates: who may be chosen in a group now. Asks discovery for the group
// (or reuses what it said a moment ago), keeps the members --match lets
// through, leaves out those a call has already tried, and waits a while for
// one to join when nobody matches. The first steps of the one-way path:
//
//   bus snapshot -> members of the group -> --match filter -> (selection)
//
// Discovery is passed in, so it can be a fake that needs no bus.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/match_filter.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb {

// How often an empty group is asked again while waiting for a member.
inline constexpr std::chrono::milliseconds kMemberPollInterval{50};

// Every member of the group as the bus lists it (before --match).
using Discover = std::function<Result<std::vector<Member>>(Clock::time_point deadline)>;

// A group as one discovery found it, shared and never copied.
using Group = std::shared_ptr<const std::vector<Member>>;

// What discovery said, and who of it may be chosen: after --match, without
// the excluded. When nothing is filtered out (a long-lived client's every
// call) that is the group itself, uncopied.
struct Candidates {
  Group group;
  std::vector<Member> narrowed;  // when some are filtered out
  bool whole_group = false;
  std::span<const Member> matching() const { return whole_group ? std::span<const Member>(*group) : narrowed; }
};

struct CandidateSettings {
  std::string group;  // for errors, and to refuse none
  // Reuse what discovery said for this long (0: ask on every operation).
  std::chrono::milliseconds membership_refresh{0};
  // When no member matches, wait this long for one to join (the model's
  // no-route retry) instead of failing at once.
  std::chrono::milliseconds wait_for_member{0};
};

class CandidateFinder {
 public:
  CandidateFinder(CandidateSettings settings, MatchFilter filter, Discover discover);

  // Who matches, waiting up to wait_for_member (never past `deadline`) for
  // someone to when nobody does, and not when some are excluded (a retry:
  // something was sent already). service_unavailable if nobody does.
  Result<Candidates> find(Clock::time_point deadline, const std::set<std::string>& excluded);
  // Who matches now; may be nobody.
  Result<Candidates> find_now(Clock::time_point deadline, const std::set<std::string>& excluded);
  // The error for nobody matching: the group's name, and why.
  Error nobody_matches(const std::set<std::string>& excluded) const;

  const MatchFilter& filter() const { return filter_; }
  std::chrono::milliseconds wait_for_member() const { return settings_.wait_for_member; }

 private:
  Result<Group> discover(Clock::time_point deadline);

  CandidateSettings settings_;
  MatchFilter filter_;
  Discover discover_;
  Group cached_group_;  // when membership_refresh > 0
  std::optional<Clock::time_point> cached_at_;
};

}  // namespace rpclb
