#include "common/resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <ctime>
#include <memory>

#include "common/endpoint.hpp"
#include "common/route.hpp"

namespace rpclb {

// One asynchronous lookup (getaddrinfo_a). If it is still running when its
// owner gives up and cannot be cancelled, glibc's thread will write into it
// later: it is then left to glibc (released, never freed), a few hundred
// bytes per lookup abandoned to a resolver that never answers.
class EndpointLookup::Request {
 public:
  explicit Request(const std::string& host) : state_(std::make_unique<State>(host)) {
    gaicb* list[] = {&state_->request};
    started_ = ::getaddrinfo_a(GAI_NOWAIT, list, 1, nullptr) == 0;
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request() {
    if (!started_) return;
    const int status = ::gai_error(&state_->request);
    if (status == EAI_INPROGRESS && ::gai_cancel(&state_->request) != EAI_CANCELED) {
      static_cast<void>(state_.release());  // glibc still holds it (see above)
      return;
    }
    if (state_->request.ar_result != nullptr) ::freeaddrinfo(state_->request.ar_result);
  }

  // 0 once the addresses are in, EAI_INPROGRESS until then, or why not.
  int status() const { return started_ ? ::gai_error(&state_->request) : EAI_SYSTEM; }
  // The same, waiting for it; EAI_AGAIN if not done by `deadline`.
  int wait(Clock::time_point deadline) {
    if (!started_) return EAI_SYSTEM;
    const gaicb* list[] = {&state_->request};
    while (true) {
      const int status = this->status();
      if (status != EAI_INPROGRESS) return status;
      const auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) return EAI_AGAIN;
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      const timespec timeout{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
      ::gai_suspend(list, 1, &timeout);
    }
  }
  const addrinfo* result() const { return state_->request.ar_result; }

 private:
  struct State {
    explicit State(const std::string& host_) : host(host_) {
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      request.ar_name = host.c_str();
      request.ar_request = &hints;
    }
    std::string host;
    addrinfo hints{};
    gaicb request{};
  };
  std::unique_ptr<State> state_;
  bool started_ = false;
};

namespace {

bool is_address(const std::string& host) {
  in_addr v4{};
  return host.empty() || host == "*" || is_ipv6_host(host) || ::inet_pton(AF_INET, host.c_str(), &v4) == 1;
}

// `tcp` with its host replaced by the first of `addresses`, or why not
// (`status`, from Request).
Result<std::string> with_address(const TcpEndpoint& tcp, const addrinfo* addresses, int status) {
  if (status != 0) {
    const std::string why = status == EAI_AGAIN ? "no answer from the resolver in the time the call had"
                                                : std::string(::gai_strerror(status));
    return make_error(ErrorCode::service_unavailable, "cannot resolve host " + tcp.host + ": " + why);
  }
  const addrinfo* chosen = nullptr;
  for (const addrinfo* found = addresses; found; found = found->ai_next) {
    if (found->ai_family == AF_INET) {
      chosen = found;
      break;
    }
    if (found->ai_family == AF_INET6 && chosen == nullptr) chosen = found;
  }
  if (chosen == nullptr) {
    return make_error(ErrorCode::service_unavailable, "cannot resolve host " + tcp.host + ": no address");
  }
  return "tcp://" + address_text(chosen->ai_addr) + ":" + tcp.port;
}

}  // namespace

EndpointLookup::EndpointLookup(const std::string& endpoint) : endpoint_(endpoint) {
  auto tcp = tcp_endpoint(endpoint);
  if (!tcp || is_address(tcp->host)) return;
  lookup_ = std::make_unique<Request>(tcp->host);
  name_ = std::move(tcp).value();
}

EndpointLookup::EndpointLookup(EndpointLookup&&) noexcept = default;
EndpointLookup& EndpointLookup::operator=(EndpointLookup&&) noexcept = default;
EndpointLookup::~EndpointLookup() = default;

std::optional<Result<std::string>> EndpointLookup::answer() const {
  if (!lookup_) return Result<std::string>(endpoint_);
  const int status = lookup_->status();
  if (status == EAI_INPROGRESS) return std::nullopt;
  return with_address(name_, lookup_->result(), status);
}

Result<std::string> EndpointLookup::wait(Clock::time_point deadline) {
  if (!lookup_) return endpoint_;
  return with_address(name_, lookup_->result(), lookup_->wait(deadline));
}

Result<std::string> numeric_endpoint(const std::string& endpoint, Clock::time_point deadline) {
  return EndpointLookup(endpoint).wait(deadline);
}

}  // namespace rpclb
