#include "common/stop_source.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace rpclb {

StopRequest::StopRequest() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("eventfd failed");
}

StopRequest::~StopRequest() {
  ::close(fd_);
}

void StopRequest::request() {
  const std::uint64_t one = 1;
  // Cannot fail short of 2^64 pending requests; the counter only needs to be non-zero.
  [[maybe_unused]] auto written = ::write(fd_, &one, sizeof one);
}

std::string StopRequest::take() {
  std::uint64_t count = 0;
  if (::read(fd_, &count, sizeof count) != static_cast<ssize_t>(sizeof count) || count == 0) return "";
  // Several requests before the loop woke up count as one: the drain is
  // what was asked for, not an immediate exit.
  return "stop requested";
}

}  // namespace rpclb
