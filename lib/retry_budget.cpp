#include "lib/retry_budget.hpp"

#include <algorithm>

namespace rpclb {

void RetryBudget::count_call(state::BalancerState& state, state::WallMs now) const {
  const auto second = now / 1000;
  state.tally_since(second - kRetryBudgetWindowS + 1);  // forgets what left the window
  state.count_call(second, false);
}

bool RetryBudget::try_retry(state::BalancerState& state, state::WallMs now) const {
  const auto second = now / 1000;
  const auto recent = state.tally_since(second - kRetryBudgetWindowS + 1);
  const auto floor = std::int64_t{settings_.min_retries_per_second} * kRetryBudgetWindowS;
  const auto share = recent.calls * settings_.retry_budget_percent / 100;
  if (recent.retries >= std::max(floor, share)) return false;
  state.count_call(second, true);
  return true;
}

}  // namespace rpclb
