// Runs one allowlisted program: argv only (no shell), stdin from /dev/null
// or the bytes given (a function with `stdin = true`),
// stdout and stderr captured up to a cap, killed (with its whole process
// group) when its time limit passes or the agent shuts down.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "rpclb/error.hpp"

namespace rpclb::agent {

struct ProgramOutcome {
  int exit_code = 0;  // 128 + signal number when killed by a signal, as shells report it
  std::string stdout_text;
  std::string stderr_text;
  bool truncated = false;  // output went past the cap and was cut
};

struct ProgramLimits {
  std::chrono::steady_clock::time_point deadline;
  std::size_t max_output_bytes = 1024 * 1024;
};

// argv[0] is the program's absolute path. Fails with request_timeout when the
// deadline passes, internal when the program cannot be started.
Result<ProgramOutcome> run_program(const std::vector<std::string>& argv, const ProgramLimits& limits,
                                   std::stop_token stop, std::optional<std::string_view> input = std::nullopt);

}  // namespace rpclb::agent
