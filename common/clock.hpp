// Clock: the monotonic clock every deadline, timeout, heartbeat and expiry in
// rpclb is measured on (wall-clock times, shared between processes, are
// lib/state/balancer_state.hpp's WallMs).
#pragma once

#include <chrono>

namespace rpclb {

using Clock = std::chrono::steady_clock;

}  // namespace rpclb
