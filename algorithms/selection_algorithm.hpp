// The built-in policies implement the public selection algorithm API
// (lib/include/rpclb/algorithm.hpp), as any other policy does; this header
// brings its names into rpclb::algorithms and adds what only the balancer
// computes for them.
//
// A built-in policy lives in its own folder under algorithms/ and is
// registered by name in algorithms/registry.cpp; docs/writing-an-algorithm.md
// walks through one.
#pragma once

#include <cstdint>
#include <span>

#include "algorithms/balancer_state.hpp"
#include "common/protocol.hpp"
#include "rpclb/algorithm.hpp"

namespace rpclb::algorithms {

using rpclb::AlgorithmFactory;
using rpclb::AlgorithmOptions;
using rpclb::AlgorithmState;
using rpclb::effective_load;
using rpclb::Selection;
using rpclb::SelectionAlgorithm;
using rpclb::StateUse;
using rpclb::two_distinct;
using rpclb::uniform_index;

// Selection::membership_version and load_version of a member list.
std::uint64_t membership_version(std::span<const Member> members);
std::uint64_t load_version(std::span<const Member> members);

}  // namespace rpclb::algorithms
