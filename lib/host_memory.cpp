#include "lib/host_memory.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace rpclb {
namespace {

// Whether the process that took a hold is still running (EPERM: it is, as
// another user).
bool process_alive(std::int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

}  // namespace

HostMemory::HostMemory(Policy policy, const FailureMemory& settings, state::StateStore store)
    : policy_(std::move(policy)),
      outliers_(settings),
      retry_budget_(settings),
      selection_ttl_(std::chrono::duration_cast<std::chrono::milliseconds>(settings.selection_ttl)),
      store_(std::move(store)) {}

bool HostMemory::holds_selections() const {
  const auto use = policy_.state_use();
  return use == StateUse::selections || use == StateUse::latencies;
}

state::Chooser HostMemory::chooser(Purpose purpose) const {
  // A call's hold is its process's: it ends when the process does, even
  // killed. A bare selection is the script's, which may release it later.
  // Policies that hold nothing need no owner (getpid is a system call, and
  // a measurable share of a library call).
  const bool holds = holds_selections();
  const std::int64_t owner = purpose == Purpose::select || !holds ? state::kAnyOwner : std::int64_t{::getpid()};
  return state::Chooser{owner, state::wall_now(), selection_ttl_.count()};
}

Status HostMemory::update(Purpose purpose, const state::StateStore::Change& change, Clock::time_point deadline) {
  const auto who = chooser(purpose);
  return store_.update(
      [&](state::BalancerState& state) -> Status {
        state.set_chooser(who);
        state.expire_holds(process_alive);
        return change(state);
      },
      deadline);
}

Status HostMemory::update_scratch(Purpose purpose, const state::StateStore::Change& change) const {
  state::BalancerState scratch;
  scratch.set_chooser(chooser(purpose));
  return change(scratch);
}

void HostMemory::note_records(const state::BalancerState& state) {
  with_records_.clear();
  for (const auto& [member, record] : state.ejections()) with_records_.insert(member);
}

}  // namespace rpclb
