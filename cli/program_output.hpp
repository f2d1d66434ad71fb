// A remote program's run as a shell sees one: what an allowlisted program
// returned ({exit_code, stdout, stderr, truncated}, read from the reply's
// MessagePack so its bytes arrive exactly), written out as ssh and pdsh
// write theirs (`--raw`, `NODE: ` prefixes, `--gather` as dshbak -c), and the
// exit code a call or fan-out ends with when a program failed.
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/call_outcome.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb::cli {

struct ProgramRun {
  int exit_code = 0;
  std::string out;  // its stdout, byte for byte
  std::string err;  // its stderr
  bool truncated = false;
};

// The program run a result is, or nullopt for any other value (a built-in's).
std::optional<ProgramRun> program_run_of(std::string_view result_msgpack);

// What a result shows as text: a program's stdout then stderr; a string as
// it is; any other value as one line of JSON.
std::string result_text(std::string_view result_msgpack);

// `--raw` for one call: the program's stdout and stderr as they are (any
// other result as result_text); its exit status, as ssh exits with the
// remote command's (0 for a value that is not a program's).
int write_raw(const CallOutcome& outcome);

// `--raw` in a fan-out: each line of `text` on `stream`, prefixed "NODE: ",
// as pdsh writes them (a last line without its newline gets one).
void write_prefixed(std::FILE* stream, const std::string& node, std::string_view text);

// How a call that was answered ends: kExitProgramFailed if its program
// exited non-zero, else 0.
int exit_code_of(const CallOutcome& outcome);
// How a fan-out ends: the first member's error's exit code (rpclb could not
// get an answer), else kExitProgramFailed if some member's program exited
// non-zero, else 0.
int fan_out_exit_code(const std::vector<Result<CallOutcome>>& results);

// `--gather`, as `dshbak -c`: members whose output is the same, byte for
// byte, under one header naming them all.
class Gathered {
 public:
  void add(const std::string& node, std::string text) { by_output_[std::move(text)].push_back(node); }
  // The groups, the one whose first member sorts first first.
  void write(std::FILE* stream) const;

 private:
  std::map<std::string, std::vector<std::string>> by_output_;
};

}  // namespace rpclb::cli
