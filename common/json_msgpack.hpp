// Conversions between JSON (what shell users type and read) and MessagePack
// (what crosses the wire).
#pragma once

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "rpclb/error.hpp"

namespace rpclb {

void pack_json(msgpack::packer<msgpack::sbuffer>& out, const nlohmann::json& value);
std::string json_to_msgpack(const nlohmann::json& value);

nlohmann::json object_to_json(const msgpack::object& value);
Result<nlohmann::json> msgpack_to_json(std::string_view bytes);

// A CLI argument: JSON if it parses as JSON, otherwise the literal string.
nlohmann::json parse_cli_argument(std::string_view text);

}  // namespace rpclb
