// Packing a string_view as a MessagePack str: msgpack-c packs std::string but
// needs the two-step form for views, which every encoder here writes.
#pragma once

#include <msgpack.hpp>

#include <cstdint>
#include <string_view>

namespace rpclb {

template <typename Stream>
void pack_string(msgpack::packer<Stream>& out, std::string_view text) {
  out.pack_str(static_cast<std::uint32_t>(text.size()));
  out.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

}  // namespace rpclb
