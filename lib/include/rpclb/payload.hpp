// Payload: one MessagePack value, the way rpclb carries call arguments (an
// array) and results. Build one from JSON text or MessagePack bytes and read
// it back the same ways; this header needs nothing but the standard library.
//
// To build one from C++ values and read it back as C++ types (of, as<T>,
// args(...)), include <rpclb/payload_msgpack.hpp>: those templates use
// msgpack-c, which then becomes part of your build, and only then.
//
//   #include <rpclb/payload_msgpack.hpp>
//   auto reply = client.call("math.add", rpclb::args(2, 3));
//   int sum = *reply->value.as<int>();
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "rpclb/error.hpp"

namespace rpclb {

class Payload;

// How C++ values become MessagePack and back, for every type msgpack-c knows:
// defined by <rpclb/payload_msgpack.hpp>. An "incomplete type" error naming
// one of these means that header is not included.
template <typename T>
struct MsgpackCodec;  // static std::string pack(const T&); static Result<T> unpack(const Payload&)
template <typename... T>
struct MsgpackArray;  // static std::string pack(const T&...)

class Payload {
 public:
  Payload();  // nil

  // Exactly one MessagePack value; bad_request otherwise.
  static Result<Payload> from_msgpack(std::string bytes);
  // Any JSON document; bad_request if it does not parse.
  static Result<Payload> from_json(std::string_view text);
  // Any value msgpack-c can pack (numbers, strings, std containers, tuples,
  // types with MSGPACK_DEFINE). Needs <rpclb/payload_msgpack.hpp>.
  template <typename T>
  static Payload of(const T& value) {
    return Payload(MsgpackCodec<T>::pack(value));
  }

  const std::string& msgpack() const { return bytes_; }
  std::string json() const;
  // The value as T (an argument array reads as a std::tuple); bad_request if
  // it does not convert. Needs <rpclb/payload_msgpack.hpp>.
  template <typename T>
  Result<T> as() const {
    return MsgpackCodec<T>::unpack(*this);
  }

  friend bool operator==(const Payload&, const Payload&) = default;

  friend Payload args();
  template <typename... T>
  friend Payload args(const T&... values);

 private:
  explicit Payload(std::string bytes) : bytes_(std::move(bytes)) {}

  std::string bytes_;
};

// A call with no arguments: the empty array.
Payload args();

// A call's argument array: rpclb::args(2, "three", 4.5). Needs
// <rpclb/payload_msgpack.hpp>.
template <typename... T>
Payload args(const T&... values) {
  return Payload(MsgpackArray<T...>::pack(values...));
}

}  // namespace rpclb
