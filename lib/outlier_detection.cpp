#include "lib/outlier_detection.hpp"

#include <algorithm>

namespace rpclb {

state::WallMs OutlierDetection::ejected_until(const state::Ejection& record, state::WallMs now) const {
  if (record.until <= now) return 0;
  // A clock set back must not turn one ejection into a long one.
  return std::min(record.until, now + settings_.eject_max.count());
}

std::span<const Member> OutlierDetection::without_ejected(std::span<const Member> candidates,
                                                          const state::BalancerState& state, state::WallMs now,
                                                          std::vector<Member>& kept) const {
  if (settings_.max_ejected_percent == 0 || state.ejections().empty() || candidates.size() < 2) return candidates;
  struct Skipped {
    state::WallMs until;
    std::size_t index;
  };
  std::vector<Skipped> ejected;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (auto until = ejected_until(state.ejection(candidates[i].name), now)) ejected.push_back({until, i});
  }
  if (ejected.empty()) return candidates;
  const auto share = candidates.size() * settings_.max_ejected_percent / 100;
  const auto allowed = std::min(std::max<std::size_t>(share, 1), candidates.size() - 1);
  if (ejected.size() > allowed) {
    // Over the share: the members back soonest are considered again.
    std::sort(ejected.begin(), ejected.end(), [](const Skipped& a, const Skipped& b) { return a.until > b.until; });
    ejected.resize(allowed);
  }
  std::vector<bool> skip(candidates.size(), false);
  for (const auto& one : ejected) skip[one.index] = true;
  kept.clear();
  kept.reserve(candidates.size() - ejected.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!skip[i]) kept.push_back(candidates[i]);
  }
  return kept;
}

void OutlierDetection::failed(state::BalancerState& state, const Member& member, Failure failure,
                              state::WallMs now) const {
  if (settings_.max_ejected_percent == 0) return;
  const auto& name = member.name;
  auto record = state.ejection(name);
  record.instance = state::instance_mark(member.instance);
  if (failure == Failure::timeout && ++record.timeouts < settings_.eject_after_timeouts) {
    state.set_ejection(name, record);
    return;
  }
  // Ejected: 1x, 2x, 4x ... the base time, at most the most.
  record.timeouts = 0;
  record.ejections = std::min<std::int64_t>(record.ejections + 1, 32);
  const auto base = settings_.eject_base.count();
  const auto most = std::max<std::int64_t>(settings_.eject_max.count(), base);
  const auto doublings = record.ejections - 1;
  const auto duration = doublings >= 31 || (base << doublings) > most ? most : base << doublings;
  record.until = now + duration;
  state.set_ejection(name, record);
}

}  // namespace rpclb
