// Names resolved within a deadline. getaddrinfo(3) takes none: a resolver
// that does not answer holds it for seconds per attempt (12 s by Debian's
// defaults). And libzmq, given a name, resolves it on its I/O thread at every
// connect and reconnect, stalling every socket of the context meanwhile. So
// rpclb resolves a member's name itself, in the time its call has, and
// connects to the address.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/endpoint.hpp"
#include "rpclb/error.hpp"

namespace rpclb {

// One endpoint's name being looked up, for a caller with other work to do
// meanwhile (a client asking several hubs asks each as soon as its address
// is known, so a name nobody answers for delays none of the others).
class EndpointLookup {
 public:
  // Starts the lookup; an endpoint with an address (or no host) needs none.
  explicit EndpointLookup(const std::string& endpoint);
  EndpointLookup(EndpointLookup&&) noexcept;
  EndpointLookup& operator=(EndpointLookup&&) noexcept;
  ~EndpointLookup();

  // The endpoint with its host replaced by an address (as numeric_endpoint
  // below), or why not; nothing while the resolver has not answered.
  std::optional<Result<std::string>> answer() const;
  // The same, waiting for it until `deadline` (then service_unavailable).
  Result<std::string> wait(Clock::time_point deadline);

 private:
  class Request;  // one getaddrinfo_a request (resolver.cpp)
  std::string endpoint_;
  TcpEndpoint name_;
  std::unique_ptr<Request> lookup_;  // none for an address
};

// `endpoint` with its host replaced by an address: tcp://NAME:PORT becomes
// tcp://A.B.C.D:PORT (an IPv4 address where the name has one, as
// wants_ipv6() chooses) or tcp://[IPV6]:PORT. Anything else (an address
// already, ipc://, inproc://) is returned as it is.
// service_unavailable if the name does not resolve, or not before `deadline`.
Result<std::string> numeric_endpoint(const std::string& endpoint, Clock::time_point deadline);

}  // namespace rpclb
