// librpclb's public interface: everything a C++ service needs to call into
// an rpclb cluster (Client) or to join one with its own functions (Agent).
// Build with `pkg-config --cflags --libs rpclb`.
#pragma once

#include "rpclb/agent.hpp"
#include "rpclb/algorithm.hpp"
#include "rpclb/client.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"
#include "rpclb/payload.hpp"
