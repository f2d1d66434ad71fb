// libFuzzer target: the wire decoder must reject garbage without crashing,
// and whatever it accepts must survive an encode/decode round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto decoded = rpclb::protocol::decode(frame);
  if (!decoded) {
    if (decoded.error().code != rpclb::ErrorCode::bad_request) std::abort();
    return 0;
  }
  auto again = rpclb::protocol::decode(rpclb::protocol::encode(*decoded));
  if (!again || !(*again == *decoded)) std::abort();
  return 0;
}
