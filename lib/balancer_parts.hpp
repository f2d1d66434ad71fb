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

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

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

  // Up to `count` members chosen among the candidates but `excluded` (the
  // first two steps of every choice): what `rpclb select` and a fan-out's
  // rounds do; a call's attempts also note when nobody matched.
  Result<std::vector<Member>> choose(std::size_t count, Clock::time_point deadline,
                                     const std::set<std::string>& excluded, const std::optional<std::string>& key,
                                     Purpose purpose) {
    auto found = candidates.find(deadline, excluded);
    if (!found) return found.error();
    return selector.choose(memory, *found, count, key, purpose, deadline);
  }
};

}  // namespace rpclb
