// BalancerParts: the parts one Balancer is assembled from, each one idea and
// each testable alone, with fakes for discovery and transport:
//
//   candidates  who may be chosen (discovery, its cache, --match, waiting)
//   memory      what this host remembers of the members (policy state,
//               failure records, retry budget), shared through the store
//   selector    choosing among the candidates through the policy
//   outcomes    what each attempt's end teaches the memory
//   trace       how each attempt ended, for --trace
//
// A call's attempts (lib/call_attempts.hpp) and a fan-out's rounds
// (lib/fan_out.hpp) are steps over these parts.
#pragma once

#include <cstdint>

#include "lib/attempt_trace.hpp"
#include "lib/candidates.hpp"
#include "lib/host_memory.hpp"
#include "lib/outcomes.hpp"
#include "lib/selection.hpp"

namespace rpclb {

// When a call is tried again on another member.
struct RetrySettings {
  // Further members to try when one could not take the request (unreachable,
  // draining, at capacity): the request was never run there, so it is safe.
  std::uint32_t retries = 2;
  // Also retry after a timeout, when the request may have run. Only for
  // idempotent functions.
  bool retry_on_timeout = false;
};

struct BalancerParts {
  CandidateFinder candidates;
  HostMemory memory;
  Selector selector;
  OutcomeRecorder outcomes;
  AttemptTrace trace;
  RetrySettings retry;
};

}  // namespace rpclb
