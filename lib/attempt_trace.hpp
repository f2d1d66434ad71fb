// AttemptTrace: how each attempt of a traced call ended (rpclb --trace,
// --request-id), told to the caller's on_attempt as it ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/call_outcome.hpp"
#include "lib/state/balancer_state.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb {

// How one attempt ended: a line each.
struct AttemptReport {
  std::string request_id;
  std::uint32_t attempt = 1;  // 1: the first; fan-out: the round
  std::string member;
  std::string endpoint;
  std::optional<Error> error;  // nullopt: served
  std::chrono::microseconds took{0};
  // Members passed over for it: ejected on this host.
  std::vector<std::string> skipped_ejected;
  // This failure ejected the member until then (wall-clock ms); 0: it did not.
  state::WallMs ejected_until = 0;
  // The member runs a version that cannot carry the request id.
  bool id_dropped = false;
};

class AttemptTrace {
 public:
  using OnAttempt = std::function<void(const AttemptReport&)>;

  // `request_id` goes with every call to the members that read it (0.3.0
  // and later, whose logs show it); empty: none.
  AttemptTrace(std::string request_id, OnAttempt on_attempt)
      : request_id_(std::move(request_id)), on_attempt_(std::move(on_attempt)) {}

  bool on() const { return static_cast<bool>(on_attempt_); }
  const std::string& request_id() const { return request_id_; }

  // Tells on_attempt, if any, how an attempt on `member` ended.
  void report(const Member& member, std::uint32_t attempt, const Result<CallOutcome>& outcome,
              std::chrono::microseconds took, std::vector<std::string> skipped_ejected, state::WallMs ejected_until,
              bool id_dropped) const {
    if (!on_attempt_) return;
    AttemptReport report;
    report.request_id = request_id_;
    report.attempt = attempt;
    report.member = member.name;
    report.endpoint = member.endpoint;
    if (!outcome) report.error = outcome.error();
    report.took = took;
    report.skipped_ejected = std::move(skipped_ejected);
    report.ejected_until = ejected_until;
    report.id_dropped = id_dropped;
    on_attempt_(report);
  }

 private:
  std::string request_id_;
  OnAttempt on_attempt_;
};

}  // namespace rpclb
