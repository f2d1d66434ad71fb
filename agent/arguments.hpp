// unpack_arguments: a call's argument array as msgpack-c objects, built in
// one pass (common/msgpack_walk.hpp's walk) into `zone`, the only memory it
// takes, with strings, bins and exts left where they lie in `bytes`.
// msgpack-c's own unpack allocated two parse stacks per call besides.
#pragma once

#include <msgpack.hpp>

#include <string_view>

#include "rpclb/error.hpp"

namespace rpclb::agent {

// bad_request naming what is wrong when `bytes` is not one bounded value.
Result<msgpack::object> unpack_arguments(msgpack::zone& zone, std::string_view bytes);

}  // namespace rpclb::agent
