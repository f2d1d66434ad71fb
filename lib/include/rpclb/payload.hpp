// Payload: one MessagePack value, the way rpclb carries call arguments (an
// array) and results. Build one from C++ values, JSON text or MessagePack
// bytes, and read it back the same three ways.
//
//   auto reply = client.call("math.add", rpclb::args(2, 3));
//   int sum = *reply->value.as<int>();
#pragma once

#include <msgpack.hpp>

#include <string>
#include <string_view>
#include <utility>

#include "rpclb/error.hpp"

namespace rpclb {

class Payload {
 public:
  Payload();  // nil

  // Exactly one MessagePack value; bad_request otherwise.
  static Result<Payload> from_msgpack(std::string bytes);
  // Any JSON document; bad_request if it does not parse.
  static Result<Payload> from_json(std::string_view text);
  // Any value msgpack-c can pack (numbers, strings, std containers, tuples,
  // types with MSGPACK_DEFINE).
  template <typename T>
  static Payload of(const T& value) {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, value);
    return Payload(std::string(buffer.data(), buffer.size()));
  }

  const std::string& msgpack() const { return bytes_; }
  std::string json() const;
  // The value as T (an argument array reads as a std::tuple); bad_request if
  // it does not convert.
  template <typename T>
  Result<T> as() const {
    try {
      const auto handle = msgpack::unpack(bytes_.data(), bytes_.size());
      return handle.get().as<T>();
    } catch (const std::exception& e) {
      return Error{ErrorCode::bad_request, "cannot read " + json() + " as the type asked for: " + e.what()};
    }
  }

  friend bool operator==(const Payload&, const Payload&) = default;

  template <typename... T>
  friend Payload args(const T&... values);

 private:
  explicit Payload(std::string bytes) : bytes_(std::move(bytes)) {}

  std::string bytes_;
};

// A call's argument array: rpclb::args(2, "three", 4.5). args() is no arguments.
template <typename... T>
Payload args(const T&... values) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(sizeof...(T));
  (packer.pack(values), ...);
  return Payload(std::string(buffer.data(), buffer.size()));
}

}  // namespace rpclb
