// The agent's allowlist: which external programs may be run on request, and
// with what fixed argv prefix. Nothing outside this file (and the sys.*
// built-ins) can ever be executed.
//
//   # comment
//   [disk.usage]              one section per function: module.function
//   program = /usr/bin/df     absolute path, run directly (never via a shell)
//   args = -h "/var/lib"      fixed argv prefix; "..." keeps spaces, \ escapes
//   timeout_ms = 5000         optional, default 10000
//   max_output_bytes = 65536  optional cap per stream, default 1 MiB, at most 3 MiB
//   stdin = true              optional: a caller may send the program's stdin
//                             (rpclb call --stdin); default false (/dev/null)
//
// Call arguments are appended to the argv after `args`, one entry each.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rpclb/error.hpp"

namespace rpclb::agent {

// The most output kept per stream: stdout and stderr of one result, both at
// the cap, still fit in one frame (protocol::kMaxFrameBytes), so a result is
// always delivered.
inline constexpr std::uint32_t kMaxOutputBytes = 3 * 1024 * 1024;

struct FunctionSpec {
  std::string name;
  std::string program;
  std::vector<std::string> args;
  std::uint32_t timeout_ms = 10000;
  std::uint32_t max_output_bytes = 1024 * 1024;
  bool takes_stdin = false;  // `stdin = true`

  friend bool operator==(const FunctionSpec&, const FunctionSpec&) = default;
};

// Errors name the line: "functions file line 7: ...".
Result<std::vector<FunctionSpec>> parse_functions(std::string_view text);
Result<std::vector<FunctionSpec>> load_functions_file(const std::string& path);

// Splits like a minimal shell word splitter without any expansion.
Result<std::vector<std::string>> split_words(std::string_view text);

}  // namespace rpclb::agent
