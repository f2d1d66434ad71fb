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

// Flushes stdout, so a pipe sees each line as it is printed (a fan-out's
// answers, a watch's events). True if it was written.
bool flush_stdout();
// Why the first failed write to stdout failed (a full disk: "No space left
// on device"), or "" if none failed; a later flush of an emptied buffer
// cannot tell.
std::string stdout_write_error();

// Something the user should know that is not the answer, on stderr.
void note(const std::string& text);

// {"code": ..., "message": ...}, as errors appear in every --json output.
nlohmann::json error_json(const Error& error);

// rpclb's exit codes beyond those of the error codes (README "Exit codes"),
// each used for nothing else: a remote program ran and exited non-zero (on
// some member, for a fan-out); no bus hub answered (the error code is
// service_unavailable, as for an empty group, whose exit code stays 4).
inline constexpr int kExitProgramFailed = 6;
inline constexpr int kExitNoBus = 7;

// The documented exit code for `error`.
int exit_code_of(const Error& error);
// Prints the error and returns its documented exit code.
int report(const Error& error, bool json);

}  // namespace rpclb::cli
