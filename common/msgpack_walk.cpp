#include "common/msgpack_walk.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/protocol.hpp"

namespace rpclb {

namespace {

using Fault = WalkedValue::Fault;

// A position in the bytes, and the bounds-checked steps over them.
struct Walker {
  std::string_view bytes;
  std::size_t next;

  bool has(std::size_t count) const { return bytes.size() - next >= count; }

  // The big-endian number of `size` bytes at `next`; the caller checked they are there.
  std::uint64_t number(std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) value = value << 8 | static_cast<std::uint8_t>(bytes[next++]);
    return value;
  }

  // Skips `count` bytes.
  bool skip(std::uint64_t count) {
    if (!has(count)) return false;
    next += count;
    return true;
  }

  // Skips a length of `length_bytes` bytes, `extra` bytes (an ext's type),
  // and as many bytes as the length says.
  bool skip_sized(std::size_t length_bytes, std::size_t extra = 0) {
    if (!has(length_bytes)) return false;
    const auto size = number(length_bytes);
    return skip(size + extra);
  }
};

}  // namespace

WalkedValue walk_value(std::string_view bytes, std::size_t start) {
  if (start > bytes.size()) return {Fault::truncated};
  Walker walk{bytes, start};
  // Items still to walk in each open container; [0] is the value itself.
  std::array<std::uint64_t, protocol::kMaxNestingDepth + 1> left;
  std::size_t depth = 0;
  left[0] = 1;
  while (true) {
    while (left[depth] == 0) {
      if (depth == 0) return {Fault::none, walk.next};
      --depth;
    }
    --left[depth];
    if (!walk.has(1)) return {Fault::truncated};
    const auto tag = static_cast<std::uint8_t>(bytes[walk.next++]);
    if (tag == 0xc1) return {Fault::not_msgpack};  // the one byte never used
    const auto sized = [](int from_tag) { return std::size_t{1} << from_tag; };
    bool whole = true;  // the bytes the tag says follow are there
    bool map = false;
    std::optional<std::uint64_t> opened;  // the items (a map's: pairs) of a container the tag opens
    if (tag <= 0x7f || tag >= 0xe0 || tag == 0xc0 || tag == 0xc2 || tag == 0xc3) {
      // fixint, negative fixint, nil, false, true: the tag is the value
    } else if (tag <= 0x9f) {  // fixmap, fixarray
      map = tag <= 0x8f;
      opened = tag & 0x0fu;
    } else if (tag <= 0xbf) {  // fixstr
      whole = walk.skip(tag & 0x1fu);
    } else if (tag <= 0xc6) {  // bin 8, 16, 32
      whole = walk.skip_sized(sized(tag - 0xc4));
    } else if (tag <= 0xc9) {  // ext 8, 16, 32: a length, a type byte, the data
      whole = walk.skip_sized(sized(tag - 0xc7), 1);
    } else if (tag <= 0xcb) {  // float 32, 64
      whole = walk.skip(tag == 0xca ? 4 : 8);
    } else if (tag <= 0xcf) {  // uint 8 to 64
      whole = walk.skip(sized(tag - 0xcc));
    } else if (tag <= 0xd3) {  // int 8 to 64
      whole = walk.skip(sized(tag - 0xd0));
    } else if (tag <= 0xd8) {  // fixext 1 to 16: a type byte, the data
      whole = walk.skip(1 + sized(tag - 0xd4));
    } else if (tag <= 0xdb) {  // str 8, 16, 32
      whole = walk.skip_sized(sized(tag - 0xd9));
    } else {  // array 16, 32; map 16, 32
      map = tag >= 0xde;
      const auto length_bytes = tag == 0xdc || tag == 0xde ? 2 : 4;
      whole = walk.has(length_bytes);
      if (whole) opened = walk.number(length_bytes);
    }
    if (!whole) return {Fault::truncated};
    if (!opened) continue;
    if (*opened > protocol::kMaxContainerItems || depth + 1 > protocol::kMaxNestingDepth) return {Fault::too_large};
    left[++depth] = map ? 2 * *opened : *opened;
  }
}

std::string fault_text(WalkedValue::Fault fault) {
  switch (fault) {
    case Fault::none:
      return "";
    case Fault::truncated:
      return "is truncated";
    case Fault::too_large:
      return "is nested more than " + std::to_string(protocol::kMaxNestingDepth) +
             " deep, or has a container of more than " + std::to_string(protocol::kMaxContainerItems) + " items";
    case Fault::not_msgpack:
      return "is not MessagePack";
  }
  return "";
}

}  // namespace rpclb
