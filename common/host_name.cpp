#include "common/host_name.hpp"

#include <unistd.h>

namespace rpclb {

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

}  // namespace rpclb
