// How the CLI prints: plain lines for people and `--json` for scripts on
// stdout; errors on stderr as "rpclb: <code>: <message>" (or a JSON object).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/protocol.hpp"
#include "rpclb/error.hpp"

namespace rpclb::cli {

nlohmann::json member_json(const protocol::MemberInfo& member);

void print_member_names(const std::vector<protocol::MemberInfo>& members);
void print_members_json(const std::vector<protocol::MemberInfo>& members);
void print_json(const nlohmann::json& value);

// {"code": ..., "message": ...}, as errors appear in every --json output.
nlohmann::json error_json(const Error& error);

// Prints the error and returns its documented exit code.
int report(const Error& error, bool json);

}  // namespace rpclb::cli
