#include "common/msgpack_walk.hpp"

namespace rpclb {

namespace {

// Looks at nothing: the walk alone says where a value ends.
struct Extent {
  void scalar(const Scalar&) {}
  void open(bool, std::uint64_t) {}
  void close() {}
};

}  // namespace

WalkedValue walk_value(std::string_view bytes, std::size_t start) {
  Extent extent;
  return walk(bytes, start, extent);
}

std::string fault_text(WalkedValue::Fault fault) {
  using Fault = WalkedValue::Fault;
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
