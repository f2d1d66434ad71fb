// Outcomes: what the end of an attempt teaches this host. A member that was
// unreachable or timed out gets a failure record (and may be ejected, by
// OutlierDetection's rules); one that answered loses its record; a call's
// hold on its member is given back; a latency-aware policy observes the
// round trip. Written in one update of the shared state at most, and none
// at all in the usual case (a success, for a member with no record, under a
// policy that holds nothing).
#pragma once

#include <chrono>
#include <map>
#include <span>
#include <string>

#include "common/clock.hpp"
#include "common/protocol.hpp"
#include "lib/host_memory.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb {

// An attempt that ended: to whom, and how (an error here is the transport's).
struct Ended {
  const Member& member;
  const Result<protocol::CallReply>& reply;
  std::chrono::microseconds round_trip;
};

class OutcomeRecorder {
 public:
  // `traced`: note whom each failure ejected (take_ejected_until).
  explicit OutcomeRecorder(bool traced) : traced_(traced) {}

  // Records `ended`, and gives back their holds when `holds`. `mode`: a
  // cast's round trip ends when it is accepted, so it says nothing of how
  // long the member takes to serve, and latency-aware policies observe only
  // calls'. Waits for the state store no later than `deadline`: past it,
  // the calls' outcomes stand and only their memory is lost.
  Status settle(HostMemory& memory, std::span<const Ended> ended, bool holds, protocol::CallMode mode,
                Clock::time_point deadline);
  // Traced: until when (wall-clock ms) the last settle ejected `member`;
  // 0 if it did not. Then forgotten.
  state::WallMs take_ejected_until(const std::string& member);

 private:
  bool traced_;
  std::map<std::string, state::WallMs, std::less<>> just_ejected_;
};

}  // namespace rpclb
