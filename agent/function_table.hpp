// FunctionTable: the complete set of functions an agent will run, by name.
// Built from the sys.* built-ins and the allowlist file at start-up, then
// read-only, so worker threads share it without locks.
#pragma once

#include <msgpack.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "agent/functions_file.hpp"
#include "common/error.hpp"

namespace rpclb::agent {

struct CallContext {
  std::chrono::steady_clock::time_point deadline;
  std::stop_token stop;  // set when the agent abandons in-flight work
};

// Takes the call's argument array; returns one MessagePack value.
using Handler = std::function<Result<std::string>(const msgpack::object& args, const CallContext& context)>;

class FunctionTable {
 public:
  void add(std::string name, Handler handler);
  const Handler* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
};

// Registers each allowlisted program as a function returning
// {exit_code, stdout, stderr, truncated}. Call arguments (strings, numbers,
// booleans) are appended to the program's argv verbatim.
void add_programs(FunctionTable& table, const std::vector<FunctionSpec>& specs);

}  // namespace rpclb::agent
