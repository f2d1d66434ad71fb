#include "lib/outcomes.hpp"

#include <algorithm>
#include <optional>

namespace rpclb {
namespace {

// What an attempt's end says against the member: a transport error (not one
// about the request, such as its size, or about our side), or a timeout,
// whether our deadline passed or the agent's own did first (it then answers
// request_timeout: the race goes either way).
std::optional<Failure> failure_of(const Result<protocol::CallReply>& reply) {
  if (reply) {
    const bool timed_out =
        reply->kind == protocol::CallReply::Kind::error && reply->error.code == ErrorCode::request_timeout;
    return timed_out ? std::optional(Failure::timeout) : std::nullopt;
  }
  if (reply.error().code == ErrorCode::service_unavailable) return Failure::unreachable;
  if (reply.error().code == ErrorCode::request_timeout) return Failure::timeout;
  return std::nullopt;
}

// Any other reply, even an agent's error, shows the member is there.
bool answered(const Result<protocol::CallReply>& reply) {
  return reply.ok() && !failure_of(reply);
}

}  // namespace

Status OutcomeRecorder::settle(HostMemory& memory, std::span<const Ended> ended, bool holds, protocol::CallMode mode,
                               Clock::time_point deadline) {
  auto& policy = memory.policy();
  // Most calls end well for a member with no record and hold nothing: no
  // lock, no write.
  const bool observes = mode == protocol::CallMode::call && policy.state_use() == StateUse::latencies;
  const bool news =
      holds || observes || std::any_of(ended.begin(), ended.end(), [&](const Ended& attempt) {
        return failure_of(attempt.reply) || (answered(attempt.reply) && memory.has_record(attempt.member.name));
      });
  if (!news) return {};
  // A policy that fails here does not stop the failure memory from being
  // kept: its error is reported once the state is saved.
  Status policy_failed;
  const auto keep_first = [&policy_failed](Status status) {
    if (policy_failed && !status) policy_failed = std::move(status);
  };
  const auto& outliers = memory.outliers();
  auto recorded = memory.update(
      Purpose::first_attempt,
      [&](state::BalancerState& state) -> Status {
        const auto now = state.chooser().now;
        for (const auto& [member, reply, round_trip] : ended) {
          if (holds) keep_first(policy.release(member.name, state));
          if (auto failure = failure_of(reply)) {
            outliers.failed(state, member, *failure, now);
            if (traced_) {
              if (auto until = outliers.ejected_until(state.ejection(member.name), now)) {
                just_ejected_[member.name] = until;
              }
            }
          }
          if (answered(reply)) outliers.answered(state, member);
          if (observes && (reply || failure_of(reply) == Failure::timeout)) {
            keep_first(policy.observe(member.name, round_trip, state));
          }
        }
        memory.note_records(state);
        return {};
      },
      deadline);
  if (!policy_failed) return policy_failed;
  // The calls' outcomes stand: only what this host remembers of them is
  // lost when another process held the state past their deadline.
  if (!recorded && recorded.error().code == ErrorCode::request_timeout) return {};
  // As in choosing: without a usable store, a stateless policy only forgets.
  if (!recorded && policy.state_use() == StateUse::none) return {};
  return recorded;
}

state::WallMs OutcomeRecorder::take_ejected_until(const std::string& member) {
  auto found = just_ejected_.find(member);
  if (found == just_ejected_.end()) return 0;
  const auto until = found->second;
  just_ejected_.erase(found);
  return until;
}

}  // namespace rpclb
