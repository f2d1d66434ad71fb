// RetryBudget: how many retries this host's callers of a group may make,
// after Finagle's and Envoy's retry budgets. A failing cluster otherwise meets
// every call with up to --retries more: the budget lets retries be at most a
// share of the calls made in the last ten seconds (with a floor, so a quiet
// caller can still retry). Its count lives in BalancerState's tally.
#pragma once

#include "lib/state/balancer_state.hpp"
#include "rpclb/client_defaults.hpp"

namespace rpclb {

// The window the budget looks back over, in seconds.
inline constexpr std::int64_t kRetryBudgetWindowS = 10;

class RetryBudget {
 public:
  explicit RetryBudget(const FailureMemory& settings) : settings_(settings) {}

  // A first attempt: adds to what retries may spend.
  void count_call(state::BalancerState& state, state::WallMs now) const;
  // True (and counted) if one more retry fits at `now`.
  bool try_retry(state::BalancerState& state, state::WallMs now) const;

 private:
  FailureMemory settings_;
};

}  // namespace rpclb
