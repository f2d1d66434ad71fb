// The defaults of an embedded Agent's settings that the agent's own parts
// share with rpclb-agent's command line. Included by rpclb/agent.hpp; the
// agent's internals include this alone, so they do not depend on its API.
#pragma once

#include <cstdint>

namespace rpclb {

// AgentOptions::max_inflight_bytes unless set: 256 MiB, for a small host.
inline constexpr std::uint64_t kDefaultMaxInflightBytes = std::uint64_t{256} << 20;

}  // namespace rpclb
