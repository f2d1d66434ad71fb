// Conversions between JSON (what shell users type and read) and MessagePack
// (what crosses the wire).
#pragma once

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "rpclb/error.hpp"

namespace rpclb {

void pack_json(msgpack::packer<msgpack::sbuffer>& out, const nlohmann::json& value);
std::string json_to_msgpack(const nlohmann::json& value);

nlohmann::json object_to_json(const msgpack::object& value);
Result<nlohmann::json> msgpack_to_json(std::string_view bytes);

// JSON text parsed without losing what was typed: a number JSON cannot carry
// exactly (an integer past 64 bits, a decimal not in its shortest form such as
// 1.50 or 1e2) is kept as the string typed. nullopt if it is not JSON.
std::optional<nlohmann::json> parse_json_exactly(std::string_view text);

// A CLI argument: JSON if it parses as JSON (numbers as parse_json_exactly
// keeps them), otherwise the literal string.
nlohmann::json parse_cli_argument(std::string_view text);

}  // namespace rpclb
