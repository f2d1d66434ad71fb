#include "agent/arguments.hpp"

#include <array>
#include <cstdint>

#include "common/msgpack_walk.hpp"

namespace rpclb::agent {

namespace {

// Builds the objects for the values walk() tells it of, as msgpack-c's
// unpack would (its types, its sizes, its pointers into the bytes).
class ObjectBuilder {
 public:
  explicit ObjectBuilder(msgpack::zone& zone) : zone_(zone) {}

  void scalar(const Scalar& value) {
    auto& object = next();
    using Kind = Scalar::Kind;
    switch (value.kind) {
      case Kind::nil:
        object.type = msgpack::type::NIL;
        break;
      case Kind::boolean:
        object.type = msgpack::type::BOOLEAN;
        object.via.boolean = value.boolean;
        break;
      case Kind::unsigned_int:
        object.type = msgpack::type::POSITIVE_INTEGER;
        object.via.u64 = value.unsigned_int;
        break;
      case Kind::negative_int:
        object.type = msgpack::type::NEGATIVE_INTEGER;
        object.via.i64 = value.negative_int;
        break;
      case Kind::float32:
      case Kind::float64:
        object.type = value.kind == Kind::float32 ? msgpack::type::FLOAT32 : msgpack::type::FLOAT64;
        object.via.f64 = value.number;
        break;
      case Kind::str:
        object.type = msgpack::type::STR;
        object.via.str = {static_cast<std::uint32_t>(value.bytes.size()), value.bytes.data()};
        break;
      case Kind::bin:
        object.type = msgpack::type::BIN;
        object.via.bin = {static_cast<std::uint32_t>(value.bytes.size()), value.bytes.data()};
        break;
      case Kind::ext:  // msgpack-c's ext points at its type byte and counts only its data
        object.type = msgpack::type::EXT;
        object.via.ext = {static_cast<std::uint32_t>(value.bytes.size() - 1), value.bytes.data()};
        break;
    }
  }

  void open(bool map, std::uint64_t items) {
    auto& object = next();
    const auto count = static_cast<std::uint32_t>(items);  // walk() bounds it
    if (map) {
      object.type = msgpack::type::MAP;
      object.via.map = {count, count == 0 ? nullptr : allocate<msgpack::object_kv>(count)};
      levels_[++depth_] = Level{nullptr, object.via.map.ptr, 0};
    } else {
      object.type = msgpack::type::ARRAY;
      object.via.array = {count, count == 0 ? nullptr : allocate<msgpack::object>(count)};
      levels_[++depth_] = Level{object.via.array.ptr, nullptr, 0};
    }
  }

  void close() { --depth_; }

  const msgpack::object& root() const { return root_; }

 private:
  // An open container, and how many of its items are built.
  struct Level {
    msgpack::object* items;     // an array's, or
    msgpack::object_kv* pairs;  // a map's: key, value, key, ...
    std::size_t built;
  };

  template <typename T>
  T* allocate(std::uint32_t count) {
    return static_cast<T*>(zone_.allocate_align(sizeof(T) * count, alignof(T)));
  }

  // Where the next value goes.
  msgpack::object& next() {
    if (depth_ == 0) return root_;
    auto& level = levels_[depth_];
    const auto at = level.built++;
    if (level.items) return level.items[at];
    auto& pair = level.pairs[at / 2];
    return at % 2 == 0 ? pair.key : pair.val;
  }

  msgpack::zone& zone_;
  msgpack::object root_;
  std::array<Level, protocol::kMaxNestingDepth + 1> levels_;  // [1] on: each written as it opens
  std::size_t depth_ = 0;
};

}  // namespace

Result<msgpack::object> unpack_arguments(msgpack::zone& zone, std::string_view bytes) {
  ObjectBuilder builder(zone);
  const auto walked = walk(bytes, 0, builder);
  if (walked.fault != WalkedValue::Fault::none) {
    return make_error(ErrorCode::bad_request, "the argument array " + fault_text(walked.fault));
  }
  if (walked.end != bytes.size()) return make_error(ErrorCode::bad_request, "trailing bytes after the argument array");
  return builder.root();
}

}  // namespace rpclb::agent
