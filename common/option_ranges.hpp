// The ranges of an agent's numeric options, in one table that rpclb-agent's
// flags (CLI::Range) and rpclb::Agent::create (bad_request) both check, and
// the one range check every rule uses.
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

namespace agent_ranges {
inline constexpr OptionRange kWeight{"weight", kMinWeight, kMaxWeight};
inline constexpr OptionRange kHeartbeatMs{"heartbeat_ms", kMinHeartbeatMs, kMaxHeartbeatMs};
inline constexpr OptionRange kMissedHeartbeats{"missed heartbeats", 1, 1000};
inline constexpr OptionRange kWorkers{"workers", 1, 1024};
inline constexpr OptionRange kMaxQueue{"max queue", 1, 1'000'000};
inline constexpr OptionRange kMaxInflightBytes{"max inflight bytes", std::uint64_t{1} << 20, std::uint64_t{1} << 40};
inline constexpr OptionRange kDrainTimeoutMs{"drain timeout (ms)", 0, 86'400'000};
}  // namespace agent_ranges

}  // namespace rpclb
