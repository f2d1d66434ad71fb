// HostMemory: what a balancer knows of its group's members beyond what the
// bus says, and the one way to change it. The policy's state, the failure
// records (OutlierDetection) and the retry budget's tally live in one
// BalancerState in the state store, which every rpclb on this host shares
// (or this process alone keeps: lib/state/state_store.hpp). Selection
// reads it to choose; outcomes write what calls' ends taught.
#pragma once

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "common/clock.hpp"
#include "lib/outlier_detection.hpp"
#include "lib/policy.hpp"
#include "lib/retry_budget.hpp"
#include "lib/state/balancer_state.hpp"
#include "lib/state/state_store.hpp"
#include "rpclb/client_defaults.hpp"

namespace rpclb {

// Why members are chosen: it decides what the choice counts against the
// retry budget, and who holds it (a call's hold ends with its process).
enum class Purpose { select, first_attempt, retry };

class HostMemory {
 public:
  HostMemory(Policy policy, const FailureMemory& settings, state::StateStore store);

  // Runs `change` on the locked state, first made ready for `purpose` at
  // the wall clock's now (holds of processes that ended are dropped).
  // Waits for another process no later than `deadline` (then
  // request_timeout).
  Status update(Purpose purpose, const state::StateStore::Change& change,
                Clock::time_point deadline = Clock::time_point::max());
  // The same on an empty state of this call's own: how a policy that keeps
  // no state still chooses when the store is unusable (a folder another
  // user owns), losing only the failure memory.
  Status update_scratch(Purpose purpose, const state::StateStore::Change& change) const;

  // Whether the policy counts selections, so each call's end gives one back.
  bool holds_selections() const;
  // Members with a failure record when the state was last read: a success
  // of anyone else needs no write.
  bool has_record(const std::string& member) const { return with_records_.contains(member); }
  void note_records(const state::BalancerState& state);

  Policy& policy() { return policy_; }
  const OutlierDetection& outliers() const { return outliers_; }
  const RetryBudget& retry_budget() const { return retry_budget_; }

 private:
  state::Chooser chooser(Purpose purpose) const;

  Policy policy_;
  OutlierDetection outliers_;
  RetryBudget retry_budget_;
  std::chrono::milliseconds selection_ttl_;
  state::StateStore store_;
  std::set<std::string, std::less<>> with_records_;
};

}  // namespace rpclb
