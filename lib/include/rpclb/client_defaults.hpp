// The defaults of a Client's settings that parts below the Client share:
// the transport's connect timeout, and what the callers on a host remember
// of failures. Included by rpclb/client.hpp; the pipeline and the failure
// memory include this alone, so nothing below the Client depends on its API.
#pragma once

#include <chrono>
#include <cstdint>

namespace rpclb {

// The selection algorithm when none is named, as in the model.
inline constexpr const char* kDefaultAlgorithm = "random";
// How long a member's TCP connection may take before it counts as
// unreachable (nothing was sent, so another member is tried). A LAN answers
// in well under a millisecond and a lost SYN is only resent after a second,
// so a quarter of a second tells "down" from "slow" without waiting for it.
inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{250};

// What the callers on one host remember about members that failed them,
// shared through the state store (see README, "Failure memory"): after
// Envoy's outlier detection and Finagle's retry budget.
struct FailureMemory {
  // A member that refused a connection, was unreachable or timed out
  // connecting is ejected at once; one that timed out this many requests in a
  // row since it last answered is ejected too.
  std::uint32_t eject_after_timeouts = 3;
  // An ejected member is skipped by this host's selections for the base
  // time, doubled with each ejection since it last answered, up to the most.
  std::chrono::milliseconds eject_base{1000};
  std::chrono::milliseconds eject_max{30000};
  // Never skip more than this share of the members a selection considers
  // (at least one, never all); 0 turns ejection off.
  std::uint32_t max_ejected_percent = 50;
  // Retries (of any caller on this host, to this group) may be at most this
  // share of the calls in the last ten seconds, or min_retries_per_second,
  // whichever allows more.
  std::uint32_t retry_budget_percent = 20;
  std::uint32_t min_retries_per_second = 3;
  // A selection nobody releases (a script's `rpclb select` without `rpclb
  // release`) stops counting after this long; a call's own counts go when
  // its process does.
  std::chrono::seconds selection_ttl{600};
};

}  // namespace rpclb
