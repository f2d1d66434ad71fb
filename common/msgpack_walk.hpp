// walk_value: where one MessagePack value ends, found without building or
// allocating anything, within decode()'s bounds (at most kMaxNestingDepth
// containers deep, each of at most kMaxContainerItems items). How rpclb
// checks a value it passes on as bytes: a call's arguments, a reply's result.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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

// The value that starts at `bytes[start]`.
WalkedValue walk_value(std::string_view bytes, std::size_t start = 0);

// What is wrong with a value that has `fault`, to follow its name: "is
// truncated", "is nested more than 32 deep, ...". Empty for none.
std::string fault_text(WalkedValue::Fault fault);

}  // namespace rpclb
