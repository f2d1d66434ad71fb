// This host's name, as gethostname(2) gives it ("" if it cannot).
#pragma once

#include <string>

namespace rpclb {

std::string host_name();

}  // namespace rpclb
