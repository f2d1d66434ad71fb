// CallOutcome: how a call that a member answered ended, for the caller (the
// balancer's calls, a fan-out's, the asynchronous client's).
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "common/protocol.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb {

struct CallOutcome {
  Member member;                            // who served it
  std::string value_msgpack;                // the result (empty for a cast)
  std::chrono::microseconds round_trip{0};  // request sent to reply decoded (fan-out)
};

// What a reply means for the caller: a result (or a cast's acceptance) from
// `member`, or the agent's error.
inline Result<CallOutcome> outcome_of(const Member& member, protocol::CallReply reply,
                                      std::chrono::microseconds round_trip = {}) {
  if (reply.kind == protocol::CallReply::Kind::error) return std::move(reply.error);
  return CallOutcome{member, std::move(reply.value_msgpack), round_trip};
}

}  // namespace rpclb
