#include "rpclb/payload.hpp"

#include <string>

#include "common/json_msgpack.hpp"
#include "common/msgpack_walk.hpp"

namespace rpclb {

Payload::Payload() : bytes_(1, '\xc0') {}

Result<Payload> Payload::from_msgpack(std::string bytes) {
  // Checked by walking it, building nothing (every reply the client hands
  // out comes through here), with the bounds an agent reads a call with.
  const auto walked = walk_value(bytes);
  if (walked.fault != WalkedValue::Fault::none) {
    return Error{ErrorCode::bad_request, "the MessagePack value " + fault_text(walked.fault)};
  }
  if (walked.end != bytes.size()) return Error{ErrorCode::bad_request, "more than one MessagePack value"};
  return Payload(std::move(bytes));
}

Result<Payload> Payload::from_json(std::string_view text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return Error{ErrorCode::bad_request, "not JSON: " + std::string(text)};
  return Payload(json_to_msgpack(parsed));
}

Payload args() {
  return Payload(std::string(1, '\x90'));  // fixarray of 0
}

std::string Payload::json() const {
  auto value = msgpack_to_json(bytes_);
  return value ? value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "null";
}

}  // namespace rpclb
