// The built-in policies implement the public selection algorithm API
// (lib/include/rpclb/algorithm.hpp), as any other policy does: its names
// (Selection, AlgorithmState, ...) are theirs from rpclb, unqualified. This
// header adds what the balancer computes for them.
//
// A built-in policy lives in its own folder under algorithms/ and is
// registered by name in algorithms/registry.cpp; docs/writing-an-algorithm.md
// walks through one.
#pragma once

#include <cstdint>
#include <span>

#include "common/protocol.hpp"
#include "rpclb/algorithm.hpp"

namespace rpclb::algorithms {

// Selection::membership_version and load_version of a member list.
std::uint64_t membership_version(std::span<const Member> members);
std::uint64_t load_version(std::span<const Member> members);

}  // namespace rpclb::algorithms
