// The ranges of numeric options, one table per program, and the one range
// check every rule uses: an agent's, which rpclb-agent's flags (CLI::Range)
// and rpclb::Agent::create (bad_request) both check, and a client's, which
// rpclb's flags, its config files and rpclb::Client::create all check.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/member_rules.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

struct OptionRange {
  std::string_view what;  // as errors name it
  std::uint64_t low;
  std::uint64_t high;
};

// "WHAT must be from LOW to HIGH, got VALUE" (bad_request) when outside.
Status check_range(const OptionRange& range, std::uint64_t value);
// The same for a signed count (a duration's): a negative one is outside.
Status check_signed_range(const OptionRange& range, std::int64_t value);

namespace agent_ranges {
inline constexpr OptionRange kWeight{"weight", kMinWeight, kMaxWeight};
inline constexpr OptionRange kHeartbeatMs{"heartbeat_ms", kMinHeartbeatMs, kMaxHeartbeatMs};
inline constexpr OptionRange kMissedHeartbeats{"missed heartbeats", 1, 1000};
inline constexpr OptionRange kWorkers{"workers", 1, 1024};
inline constexpr OptionRange kMaxQueue{"max queue", 1, 1'000'000};
inline constexpr OptionRange kMaxInflightBytes{"max inflight bytes", std::uint64_t{1} << 20, std::uint64_t{1} << 40};
inline constexpr OptionRange kDrainTimeoutMs{"drain timeout (ms)", 0, 86'400'000};
}  // namespace agent_ranges

// Named as rpclb::ClientOptions names them; the CLI's flags and config keys
// for them are in cli/options.hpp.
namespace client_ranges {
inline constexpr OptionRange kTimeoutMs{"timeout (ms)", 1, 86'400'000};
inline constexpr OptionRange kBusTimeoutMs{"bus_timeout (ms)", 1, 600'000};
inline constexpr OptionRange kConnectTimeoutMs{"connect_timeout (ms)", 1, 60'000};
inline constexpr OptionRange kRetries{"retries", 0, 100};
inline constexpr OptionRange kEjectAfterTimeouts{"failure_memory.eject_after_timeouts", 1, 1000};
inline constexpr OptionRange kEjectBaseMs{"failure_memory.eject_base (ms)", 1, 3'600'000};
inline constexpr OptionRange kEjectMaxMs{"failure_memory.eject_max (ms)", 1, 3'600'000};
inline constexpr OptionRange kMaxEjectedPercent{"failure_memory.max_ejected_percent", 0, 100};
inline constexpr OptionRange kRetryBudgetPercent{"failure_memory.retry_budget_percent", 0, 1000};
inline constexpr OptionRange kMinRetriesPerSecond{"failure_memory.min_retries_per_second", 0, 1000};
inline constexpr OptionRange kSelectionTtlS{"failure_memory.selection_ttl (s)", 1, 86'400};
}  // namespace client_ranges

}  // namespace rpclb
