#include "lib/candidates.hpp"

#include <algorithm>
#include <thread>

namespace rpclb {

CandidateFinder::CandidateFinder(CandidateSettings settings, MatchFilter filter, Discover discover)
    : settings_(std::move(settings)), filter_(std::move(filter)), discover_(std::move(discover)) {}

Result<Group> CandidateFinder::discover(Clock::time_point deadline) {
  const auto now = Clock::now();
  if (cached_at_ && now - *cached_at_ < settings_.membership_refresh) return cached_group_;
  if (settings_.group.empty()) return make_error(ErrorCode::bad_request, "a group name is required");
  auto fetched = discover_(deadline);
  if (!fetched) return fetched.error();
  auto group = std::make_shared<const std::vector<Member>>(std::move(fetched).value());
  if (settings_.membership_refresh.count() > 0) {
    cached_group_ = group;
    cached_at_ = now;
  }
  return group;
}

Result<Candidates> CandidateFinder::find_now(Clock::time_point deadline, const std::set<std::string>& excluded) {
  auto group = discover(deadline);
  if (!group) return group.error();
  Candidates found{std::move(group).value(), {}, false};
  const auto is_excluded = [&](const Member& m) { return excluded.contains(m.name); };
  found.whole_group = filter_.matches_all() && std::none_of(found.group->begin(), found.group->end(), is_excluded);
  if (!found.whole_group) {
    found.narrowed = filter_.apply(*found.group);
    std::erase_if(found.narrowed, is_excluded);
  }
  return found;
}

Error CandidateFinder::nobody_matches(const std::set<std::string>& excluded) const {
  if (!excluded.empty()) {
    return {ErrorCode::service_unavailable, "no member of group " + settings_.group + " could take the request"};
  }
  const std::string filtered = filter_.matches_all() ? "" : " matching --match";
  return {ErrorCode::service_unavailable, "no members in group " + settings_.group + filtered};
}

Result<Candidates> CandidateFinder::find(Clock::time_point deadline, const std::set<std::string>& excluded) {
  const auto stop_waiting = std::min(deadline, Clock::now() + settings_.wait_for_member);
  while (true) {
    auto found = find_now(deadline, excluded);
    if (!found || !found->matching().empty()) return found;
    // Nobody to route to, and nothing was sent yet: waiting is always safe.
    if (!excluded.empty() || Clock::now() + kMemberPollInterval >= stop_waiting) return nobody_matches(excluded);
    std::this_thread::sleep_for(kMemberPollInterval);
  }
}

}  // namespace rpclb
