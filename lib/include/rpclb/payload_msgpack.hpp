// C++ values in and out of a Payload, through msgpack-c (Debian's
// libmsgpack-cxx-dev; header-only). Opt in by including this header: it
// brings <msgpack.hpp> into the including file and builds msgpack-c without
// Boost, as rpclb itself is built.
#pragma once

#ifndef MSGPACK_NO_BOOST
#define MSGPACK_NO_BOOST
#endif
#include <msgpack.hpp>

#include <exception>
#include <string>

#include "rpclb/payload.hpp"

namespace rpclb {

template <typename T>
struct MsgpackCodec {
  static std::string pack(const T& value) {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, value);
    return std::string(buffer.data(), buffer.size());
  }
  static Result<T> unpack(const Payload& payload) {
    try {
      const auto handle = msgpack::unpack(payload.msgpack().data(), payload.msgpack().size());
      return handle.get().as<T>();
    } catch (const std::exception& e) {
      return Error{ErrorCode::bad_request, "cannot read " + payload.json() + " as the type asked for: " + e.what()};
    }
  }
};

template <typename... T>
struct MsgpackArray {
  static std::string pack(const T&... values) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> packer(buffer);
    packer.pack_array(sizeof...(T));
    (packer.pack(values), ...);
    return std::string(buffer.data(), buffer.size());
  }
};

}  // namespace rpclb
