// One pass over one MessagePack value that allocates nothing, within
// decode()'s bounds (at most kMaxNestingDepth containers deep, each of at
// most kMaxContainerItems items):
//   walk_value  where the value ends: how rpclb checks a value it passes on
//               as bytes (a call's arguments, a reply's result);
//   walk        the same pass, telling a visitor each value on the way: how
//               an agent unpacks a call's arguments (agent/function_table.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/protocol.hpp"

namespace rpclb {

struct WalkedValue {
  enum class Fault {
    none,
    truncated,   // the bytes end inside the value
    too_large,   // nested too deep, or a container of too many items
    not_msgpack  // a byte no MessagePack value starts with (0xc1)
  };
  Fault fault = Fault::none;
  std::size_t end = 0;  // one past the value's last byte, when there is no fault
};

// A value that is not a container, as walk() reads it.
struct Scalar {
  enum class Kind { nil, boolean, unsigned_int, negative_int, float32, float64, str, bin, ext };
  Kind kind = Kind::nil;
  bool boolean = false;
  std::uint64_t unsigned_int = 0;  // also a signed encoding of a value that is not negative
  std::int64_t negative_int = 0;
  double number = 0;       // float32 or float64
  std::string_view bytes;  // str and bin; ext: its type byte, then its data
};

// Walks the value at `bytes[start]`, telling `visitor`, in order:
//   visitor.scalar(const Scalar&)         a value that is not a container
//   visitor.open(bool map, uint64 items)  an array or map (a map's items: its pairs)
//   visitor.close()                       the end of the container opened last
// and stops at the first fault (the visitor has then been told part of it).
template <typename Visitor>
WalkedValue walk(std::string_view bytes, std::size_t start, Visitor& visitor);

// The value at `bytes[start]`: where it ends, or why it cannot be read.
WalkedValue walk_value(std::string_view bytes, std::size_t start = 0);

// What is wrong with a value that has `fault`, to follow its name: "is
// truncated", "is nested more than 32 deep, ...". Empty for none.
std::string fault_text(WalkedValue::Fault fault);

namespace walk_detail {

// A position in the bytes, and the bounds-checked steps over them.
struct Cursor {
  std::string_view bytes;
  std::size_t next;

  bool has(std::uint64_t count) const { return bytes.size() - next >= count; }
  // The big-endian number of `size` bytes at `next`; the caller checked they are there.
  std::uint64_t number(std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) value = value << 8 | static_cast<std::uint8_t>(bytes[next++]);
    return value;
  }
  // The next `count` bytes, if they are there.
  std::optional<std::string_view> take(std::uint64_t count) {
    if (!has(count)) return std::nullopt;
    const auto out = bytes.substr(next, count);
    next += count;
    return out;
  }
  // A length of `length_bytes` bytes, then `extra` bytes (an ext's type) and
  // as many as the length says: those bytes after the length.
  std::optional<std::string_view> take_sized(std::size_t length_bytes, std::size_t extra = 0) {
    if (!has(length_bytes)) return std::nullopt;
    return take(number(length_bytes) + extra);
  }
};

inline std::size_t sized(int exponent) {
  return std::size_t{1} << exponent;
}

}  // namespace walk_detail

template <typename Visitor>
WalkedValue walk(std::string_view bytes, std::size_t start, Visitor& visitor) {
  using Fault = WalkedValue::Fault;
  using Kind = Scalar::Kind;
  using walk_detail::sized;
  if (start > bytes.size()) return {Fault::truncated};
  walk_detail::Cursor at{bytes, start};
  // Items still to walk in each open container; [0] is the value itself.
  std::array<std::uint64_t, protocol::kMaxNestingDepth + 1> left;
  std::size_t depth = 0;
  left[0] = 1;
  while (true) {
    while (left[depth] == 0) {
      if (depth == 0) return {Fault::none, at.next};
      --depth;
      visitor.close();
    }
    --left[depth];
    if (!at.has(1)) return {Fault::truncated};
    const auto tag = static_cast<std::uint8_t>(bytes[at.next++]);
    if (tag == 0xc1) return {Fault::not_msgpack};  // the one byte never used
    Scalar value;
    std::optional<std::string_view> payload = std::string_view();  // nullopt: truncated
    std::optional<std::uint64_t> opened;                           // the items of a container the tag opens
    bool map = false;
    if (tag <= 0x7f) {  // positive fixint
      value.kind = Kind::unsigned_int;
      value.unsigned_int = tag;
    } else if (tag <= 0x9f) {  // fixmap, fixarray
      map = tag <= 0x8f;
      opened = tag & 0x0fu;
    } else if (tag <= 0xbf) {  // fixstr
      value.kind = Kind::str;
      payload = at.take(tag & 0x1fu);
    } else if (tag <= 0xc3) {  // nil, false, true (0xc1 is refused above)
      value.kind = tag == 0xc0 ? Kind::nil : Kind::boolean;
      value.boolean = tag == 0xc3;
    } else if (tag <= 0xc6) {  // bin 8, 16, 32
      value.kind = Kind::bin;
      payload = at.take_sized(sized(tag - 0xc4));
    } else if (tag <= 0xc9) {  // ext 8, 16, 32: a length, a type byte, the data
      value.kind = Kind::ext;
      payload = at.take_sized(sized(tag - 0xc7), 1);
    } else if (tag <= 0xcb) {  // float 32, 64
      value.kind = tag == 0xca ? Kind::float32 : Kind::float64;
      payload = at.take(tag == 0xca ? 4 : 8);
      if (payload && tag == 0xca) {
        const auto raw = static_cast<std::uint32_t>(walk_detail::Cursor{*payload, 0}.number(4));
        float number;
        std::memcpy(&number, &raw, sizeof number);
        value.number = number;
      } else if (payload) {
        const auto raw = walk_detail::Cursor{*payload, 0}.number(8);
        std::memcpy(&value.number, &raw, sizeof value.number);
      }
    } else if (tag <= 0xd3) {  // uint 8 to 64, int 8 to 64
      const bool is_signed = tag >= 0xd0;
      const auto size = sized(tag - (is_signed ? 0xd0 : 0xcc));
      payload = at.take(size);
      if (payload) {
        const auto raw = walk_detail::Cursor{*payload, 0}.number(size);
        const bool negative = is_signed && (raw >> (size * 8 - 1) & 1);
        value.kind = negative ? Kind::negative_int : Kind::unsigned_int;
        value.unsigned_int = raw;
        // Sign-extended from its width.
        if (negative)
          value.negative_int = static_cast<std::int64_t>(size == 8 ? raw : raw | ~std::uint64_t{0} << (size * 8));
      }
    } else if (tag <= 0xd8) {  // fixext 1 to 16: a type byte, the data
      value.kind = Kind::ext;
      payload = at.take(1 + sized(tag - 0xd4));
    } else if (tag <= 0xdb) {  // str 8, 16, 32
      value.kind = Kind::str;
      payload = at.take_sized(sized(tag - 0xd9));
    } else if (tag <= 0xdf) {  // array 16, 32; map 16, 32
      map = tag >= 0xde;
      const auto length_bytes = tag == 0xdc || tag == 0xde ? 2 : 4;
      if (at.has(length_bytes)) {
        opened = at.number(length_bytes);
      } else {
        payload.reset();
      }
    } else {  // negative fixint
      value.kind = Kind::negative_int;
      value.negative_int = static_cast<std::int8_t>(tag);
    }
    if (!payload) return {Fault::truncated};
    if (!opened) {
      value.bytes = *payload;
      visitor.scalar(value);
      continue;
    }
    if (*opened > protocol::kMaxContainerItems || depth + 1 > protocol::kMaxNestingDepth) return {Fault::too_large};
    visitor.open(map, *opened);
    left[++depth] = map ? 2 * *opened : *opened;
  }
}

}  // namespace rpclb
