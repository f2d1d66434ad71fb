// The one translation from a client's settings (the public ClientOptions)
// to a Balancer's: rpclb::Client::create and the rpclb command both build
// their Balancer through it, so a setting cannot mean one thing to the
// library and another to the command line. Their ranges are one table too
// (common/option_ranges.hpp, client_ranges).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/curve.hpp"
#include "lib/balancer.hpp"
#include "rpclb/client.hpp"

namespace rpclb {

// `bus` is resolved and `curve` loaded by the caller, whose errors name its
// own flags or fields. Settings only a Balancer has (the key, tracing, where
// the algorithm was named) stay at their defaults for the caller to set.
BalancerOptions balancer_options(ClientOptions settings, std::vector<std::string> bus,
                                 std::optional<CurveConfig> curve);

}  // namespace rpclb
