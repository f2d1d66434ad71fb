// FunctionTable: the complete set of functions an agent will run, by name.
// Built from the sys.* built-ins and the allowlist file at start-up, then
// read-only, so worker threads share it without locks.
#pragma once

#include <msgpack.hpp>

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/functions_file.hpp"
#include "common/protocol.hpp"
#include "common/text.hpp"
#include "rpclb/error.hpp"

namespace rpclb::agent {

struct CallContext {
  std::chrono::steady_clock::time_point deadline;
  std::stop_token stop;           // set when the agent abandons in-flight work
  std::string_view args_msgpack;  // the argument array as it arrived, for handlers that keep it
  // A program function tells its program's exit status here (when set), so
  // the agent can count a non-zero exit apart from a success.
  int* exit_status = nullptr;
  // The caller's bytes for the program's standard input, if it sent any.
  std::optional<std::string_view> input;
  // The table the call runs from (sys.functions lists it): a reload
  // replaces the agent's table, never the one a call runs from.
  const class FunctionTable* functions = nullptr;
};

// Takes the call's argument array; returns one MessagePack value.
using Handler = std::function<Result<std::string>(const msgpack::object& args, const CallContext& context)>;

// Checks a call's arguments before the call is accepted, so that a cast with
// bad arguments is refused (bad_request) exactly as a call is, rather than
// accepted and then failing where nobody hears.
using ArgumentCheck = std::function<Status(const msgpack::object& args)>;

// Where a function runs. Quick, non-blocking functions run on the agent's
// event loop, saving two thread hand-offs per call; anything that may block
// runs on the worker pool so it never holds up other callers.
enum class Execution { on_event_loop, on_worker_pool };

struct Function {
  Handler handler;
  Execution execution = Execution::on_worker_pool;
  ArgumentCheck check;  // optional
  // Whether a caller may send it standard input (a program whose entry says
  // `stdin = true`); others refuse a call that carries any.
  bool takes_input = false;
};

class FunctionTable {
 public:
  void add(std::string name, Handler handler, Execution execution = Execution::on_worker_pool, ArgumentCheck check = {},
           bool takes_input = false);
  // Adds every function of `other`; bad_request naming the first one this
  // table already has.
  Status merge(const FunctionTable& other);
  const Function* find(std::string_view name) const;
  std::vector<std::string> names() const;  // in order

 private:
  // Hashed: every call finds its function here.
  std::unordered_map<std::string, Function, StringHash, std::equal_to<>> functions_;
};

// The function's argument check on a request's arguments (success if it has
// none), and bad_request for standard input it does not take.
Status check_arguments(const Function& function, const protocol::CallView& request);

// Runs one request to completion and builds its reply; never throws. A
// program function's exit status goes to `exit_status`, when given.
protocol::CallReply run_call(const FunctionTable& functions, const protocol::CallView& request,
                             std::chrono::steady_clock::time_point deadline, std::stop_token stop,
                             int* exit_status = nullptr);

// Registers each allowlisted program as a function returning
// {exit_code, stdout, stderr, truncated}. Call arguments (strings, numbers,
// booleans) are appended to the program's argv verbatim.
void add_programs(FunctionTable& table, const std::vector<FunctionSpec>& specs);

}  // namespace rpclb::agent
