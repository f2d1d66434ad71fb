// How the CLI prints: plain lines for people and `--json` for scripts on
// stdout; errors on stderr as "rpclb: <code>: <message>" (or a JSON object).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "lib/balancer.hpp"
#include "rpclb/error.hpp"

namespace rpclb::cli {

nlohmann::json member_json(const Member& member);

void print_member_names(const std::vector<Member>& members);
void print_members_json(const std::vector<Member>& members);
// `members --json`: each member with what this host remembers of it (its
// unreleased selections; whether it is ejected, and until when).
void print_members_json(const std::vector<Member>& members, const Remembered& remembered);
// "2026-11-26T16:40:01.234Z"
std::string utc_timestamp(state::WallMs at);
void print_json(const nlohmann::json& value);

// `members --watch`: one line (or object) per event, flushed as it happens.
void print_watch_event(std::string_view event, const Member& member, bool json);
// `groups`: each group with its member count.
void print_group_counts(const std::map<std::string, int>& counts, bool json);
// `ping` and `status`: round trip, load and version of each member, or its error.
// One line on stderr for an attempt of a traced call (--trace), logfmt:
//   rpclb: trace request_id=ID attempt=1 member=M endpoint=E outcome=ok ms=0.42
// with error=, skipped_ejected=, ejected_until= and request_id_dropped=true
// when they apply.
void print_trace(const AttemptReport& attempt);

// sys.stats of each member: plain, one line per sample ("NODE name{labels}
// value"), failures on stderr; or a JSON array of {name, endpoint, metrics}
// or {name, endpoint, error}. Returns the exit code of the first failure.
int print_stats(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results, bool json);
void print_pings(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results, bool json);
// `call --all` / `call -n` / `cast --all`: each member's result (a cast's:
// accepted) or error.
void print_fan_out(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results,
                   protocol::CallMode mode, bool json);
// Something the user should know that is not the answer, on stderr.
void note(const std::string& text);
// `keygen`: the files written.
void print_keygen(const std::string& prefix, const std::string& public_key, bool json);

// {"code": ..., "message": ...}, as errors appear in every --json output.
nlohmann::json error_json(const Error& error);

// Prints the error and returns its documented exit code.
int report(const Error& error, bool json);

}  // namespace rpclb::cli
