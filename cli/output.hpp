// What every command prints alike: plain lines for people and `--json` for
// scripts on stdout, members as JSON, notes and errors on stderr as
// "rpclb: <code>: <message>" (or a JSON object). What only one command
// prints is in that command's file.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "lib/state/balancer_state.hpp"
#include "rpclb/error.hpp"

namespace rpclb::cli {

// One line of JSON; program output need not be UTF-8, so bad bytes are
// replaced rather than fail.
std::string json_text(const nlohmann::json& value);

nlohmann::json member_json(const Member& member);

void print_member_names(const std::vector<Member>& members);
void print_members_json(const std::vector<Member>& members);
// "2026-11-26T16:40:01.234Z"
std::string utc_timestamp(state::WallMs at);
void print_json(const nlohmann::json& value);

// Something the user should know that is not the answer, on stderr.
void note(const std::string& text);

// {"code": ..., "message": ...}, as errors appear in every --json output.
nlohmann::json error_json(const Error& error);

// Prints the error and returns its documented exit code.
int report(const Error& error, bool json);

}  // namespace rpclb::cli
