// OutlierDetection: which members this host's callers skip for a while
// because they failed them, after Envoy's outlier detection. The records live
// in BalancerState (so every rpclb on the host shares them); this decides
// what a failure does to a record, and what a record does to a selection.
// The bus still decides who exists: a member that leaves is forgotten.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "lib/state/balancer_state.hpp"
#include "rpclb/client_defaults.hpp"

namespace rpclb {

enum class Failure {
  unreachable,  // refused, no route, timed out connecting: nothing was sent
  timeout,      // sent, and no reply in time
};

class OutlierDetection {
 public:
  explicit OutlierDetection(const FailureMemory& settings) : settings_(settings) {}

  // `candidates` without the members ejected at `now`, but never more than
  // the allowed share of them (those back soonest stay) and never all. When
  // none is skipped (the usual case) that is `candidates` itself; otherwise
  // the members kept are copied into `kept`, which the result then views.
  std::span<const Member> without_ejected(std::span<const Member> candidates, const state::BalancerState& state,
                                          state::WallMs now, std::vector<Member>& kept) const;
  // When an ejection ends; 0 when `record` is not ejected at `now`.
  state::WallMs ejected_until(const state::Ejection& record, state::WallMs now) const;

  void failed(state::BalancerState& state, const Member& member, Failure failure, state::WallMs now) const;
  // Any reply but a timeout, even an error, shows the member is there: its
  // record goes.
  void answered(state::BalancerState& state, const Member& member) const { state.set_ejection(member.name, {}); }

 private:
  FailureMemory settings_;
};

}  // namespace rpclb
