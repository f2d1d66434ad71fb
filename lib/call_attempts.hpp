// CallAttempts: one call on its way through choosing and retries. aim
// chooses the member for the next attempt and addresses the request to it;
// conclude records how the attempt ended and says how the call ends, or
// that it goes on (aim again). The caller's own thread steps a call with one
// request in flight (run_call); the asynchronous client's CallLoop steps many.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/protocol.hpp"
#include "lib/balancer_parts.hpp"
#include "lib/call_outcome.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

struct CallAttempts {
  protocol::CallRequest request;  // addressed to `member` by aim
  Clock::time_point deadline;     // the whole call's
  std::optional<std::string> key;
  Member member;                       // this attempt's
  Clock::time_point attempt_deadline;  // this attempt's share of the deadline
  std::uint32_t attempt = 0;           // 0: the first
  std::set<std::string> failed;        // members that could not take it
  std::string history;                 // what they said, for the final error
  // The last attempt's not_found, and the history before it: when no other
  // member is left to try, that is the call's answer.
  std::optional<Error> not_found;
  std::string history_before_not_found;
  // false: aim fails at once when no member matches, instead of waiting up
  // to wait_for_member (the asynchronous client parks the call rather than
  // block its loop), and then says so here.
  bool may_wait = true;
  bool nobody_matched = false;
  Clock::time_point stop_waiting;            // for a member to join: wait_for_member from the start
  Clock::time_point attempt_started;         // when aim addressed this attempt
  std::vector<std::string> skipped_ejected;  // traced: passed over for this attempt
  bool id_dropped = false;                   // traced: this member cannot carry the id
  // Whether to look again shortly: no member matched yet, and there is time.
  bool worth_waiting() const;
};

// bad_request unless `function` is MODULE.FUNCTION.
Status valid_function(std::string_view function);

// A call, checked, before its first attempt: fills `call`, a fresh one, in
// place (a CallAttempts is large; moving one costs more than filling it).
Status begin_call(const BalancerParts& parts, CallAttempts& call, std::string_view function, std::string args_msgpack,
                  protocol::CallMode mode, Clock::time_point deadline, const std::optional<std::string>& key);
// Chooses the member for the next attempt and addresses the request to it
// (a fresh id from `ids`); an error ends the call.
Status aim(BalancerParts& parts, CallAttempts& call, std::mt19937_64& ids);
// Records how the attempt ended: how the call ends, or nothing (aim again).
std::optional<Result<CallOutcome>> conclude(BalancerParts& parts, CallAttempts& call,
                                            Result<protocol::CallReply>&& reply);

// Sends one request to a member and waits for its reply, up to a deadline.
using SendRequest = std::function<Result<protocol::CallReply>(
    const std::string& endpoint, const protocol::CallRequest& request, Clock::time_point deadline)>;
// Runs a begun call to its end on this thread. With `parts_mutex`, holds it
// only while choosing and recording, never while waiting (for a reply, or
// for a member to join): other threads step other calls meanwhile.
Result<CallOutcome> run_call(BalancerParts& parts, const SendRequest& send, CallAttempts call, std::mt19937_64& ids,
                             std::mutex* parts_mutex = nullptr);

}  // namespace rpclb
