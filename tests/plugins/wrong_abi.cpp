// A plug-in built against an ABI this rpclb does not read.
#include "rpclb/algorithm_plugin.hpp"

extern "C" __attribute__((visibility("default"))) const rpclb_algorithm_plugin_info* rpclb_algorithm_plugin(void) {
  static const rpclb_algorithm_plugin_info info{rpclb::kAlgorithmAbiVersion + 998, nullptr, 0};
  return &info;
}
