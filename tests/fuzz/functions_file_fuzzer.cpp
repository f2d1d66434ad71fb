// libFuzzer target: the allowlist parser must reject bad files with a
// bad_request and accept only well-formed functions.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/functions_file.hpp"
#include "common/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto specs = rpclb::agent::parse_functions(text);
  if (!specs) {
    if (specs.error().code != rpclb::ErrorCode::bad_request) std::abort();
    return 0;
  }
  for (const auto& spec : *specs) {
    const bool sane = rpclb::protocol::is_valid_function_name(spec.name) && !spec.name.starts_with("sys.") &&
                      spec.program.starts_with('/') && spec.timeout_ms > 0 && spec.max_output_bytes > 0;
    if (!sane) std::abort();
  }
  return 0;
}
