// Names resolved within a deadline. getaddrinfo(3) takes none: a resolver
// that does not answer holds it for seconds per attempt (12 s by Debian's
// defaults). And libzmq, given a name, resolves it on its I/O thread at every
// connect and reconnect, stalling every socket of the context meanwhile. So
// rpclb resolves a member's name itself, in the time its call has, and
// connects to the address.
#pragma once

#include <string>

#include "common/membership.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

// `endpoint` with its host replaced by an address: tcp://NAME:PORT becomes
// tcp://A.B.C.D:PORT (an IPv4 address where the name has one, as
// wants_ipv6() chooses) or tcp://[IPV6]:PORT. Anything else (an address
// already, ipc://, inproc://) is returned as it is.
// service_unavailable if the name does not resolve, or not before `deadline`.
Result<std::string> numeric_endpoint(const std::string& endpoint, Clock::time_point deadline);

}  // namespace rpclb
