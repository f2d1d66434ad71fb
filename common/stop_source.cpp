#include "common/stop_source.hpp"

namespace rpclb {

std::string StopRequest::take() {
  if (wake_.take() == 0) return "";
  // Several requests before the loop woke up count as one: the drain is
  // what was asked for, not an immediate exit.
  return "stop requested";
}

}  // namespace rpclb
