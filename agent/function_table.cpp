#include "agent/function_table.hpp"

#include "common/msgpack_string.hpp"

#include <algorithm>

#include "agent/arguments.hpp"
#include "agent/program_runner.hpp"
#include "common/json_msgpack.hpp"

namespace rpclb::agent {
namespace {

// The kernel refuses (E2BIG) a single argv entry of 128 KiB or more, NUL included.
constexpr std::size_t kMaxArgumentBytes = 128 * 1024 - 1;

// One argv entry per call argument; structured values are refused rather
// than flattened in a way the program could misread, and so is what the
// kernel would refuse or cut short (an entry with a NUL byte ends there).
Result<std::string> argument_text(const msgpack::object& value, std::size_t index) {
  const auto which = "argument " + std::to_string(index + 1);
  switch (value.type) {
    case msgpack::type::STR: {
      const std::string_view text(value.via.str.ptr, value.via.str.size);
      if (text.find('\0') != std::string_view::npos) {
        return make_error(ErrorCode::bad_request, which + " contains a NUL byte, which a program argument cannot hold");
      }
      if (text.size() > kMaxArgumentBytes) {
        return make_error(ErrorCode::bad_request, which + " is " + std::to_string(text.size()) +
                                                      " bytes; a program argument can hold at most " +
                                                      std::to_string(kMaxArgumentBytes));
      }
      return std::string(text);
    }
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
    case msgpack::type::BOOLEAN:
      return object_to_json(value).dump();
    default:
      return make_error(ErrorCode::bad_request, which + " must be a string, number or boolean");
  }
}

// All of argv, with the pointers the kernel copies too: half of the usual
// 2 MiB ARG_MAX, leaving the rest for the environment.
constexpr std::size_t kMaxArgvBytes = 1024 * 1024;

// The program's argv: its fixed prefix, then one entry per call argument.
Result<std::vector<std::string>> program_argv(const FunctionSpec& spec, const msgpack::object& args) {
  std::vector<std::string> argv{spec.program};
  argv.insert(argv.end(), spec.args.begin(), spec.args.end());
  std::size_t total = 0;
  for (const auto& word : argv) total += word.size() + 1 + sizeof(char*);
  for (std::uint32_t i = 0; i < args.via.array.size; ++i) {
    auto text = argument_text(args.via.array.ptr[i], i);
    if (!text) return text.error();
    total += text->size() + 1 + sizeof(char*);
    argv.push_back(std::move(text).value());
  }
  if (total > kMaxArgvBytes) {
    return make_error(ErrorCode::bad_request, "the arguments take " + std::to_string(total) +
                                                  " bytes of argv; a program can be given at most " +
                                                  std::to_string(kMaxArgvBytes));
  }
  return argv;
}

std::string pack_outcome(const ProgramOutcome& outcome) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  out.pack_map(4);
  pack_string(out, "exit_code");
  out.pack_int(outcome.exit_code);
  pack_string(out, "stdout");
  pack_string(out, outcome.stdout_text);
  pack_string(out, "stderr");
  pack_string(out, outcome.stderr_text);
  pack_string(out, "truncated");
  outcome.truncated ? out.pack_true() : out.pack_false();
  return std::string(buffer.data(), buffer.size());
}

}  // namespace

void FunctionTable::add(std::string name, Handler handler, Execution execution, ArgumentCheck check, bool takes_input) {
  functions_[std::move(name)] = Function{std::move(handler), execution, std::move(check), takes_input};
}

Status FunctionTable::merge(const FunctionTable& other) {
  for (const auto& name : other.names()) {  // in order: the first clash named is the same each time
    if (functions_.contains(name)) return make_error(ErrorCode::bad_request, "function " + name + " is served twice");
  }
  functions_.insert(other.functions_.begin(), other.functions_.end());
  return {};
}

const Function* FunctionTable::find(std::string_view name) const {
  auto found = functions_.find(name);
  return found == functions_.end() ? nullptr : &found->second;
}

std::vector<std::string> FunctionTable::names() const {
  std::vector<std::string> out;
  for (const auto& [name, function] : functions_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// msgpack's zones start at 8 KiB: above malloc's per-thread caches, a slow
// path for every call. The arguments' objects need far less.
constexpr std::size_t kFirstZoneBytes = 512;

}  // namespace

Status check_arguments(const Function& function, const protocol::CallView& request) {
  if (request.input && !function.takes_input) {
    return make_error(ErrorCode::bad_request, std::string(request.function) +
                                                  " does not take standard input (its entry in the functions "
                                                  "file says stdin = true when it may); nothing was run");
  }
  if (!function.check) return {};
  try {
    msgpack::zone zone(kFirstZoneBytes);
    const auto args = unpack_arguments(zone, request.args_msgpack);
    if (!args) return args.error();
    return function.check(*args);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::bad_request, std::string("unreadable arguments: ") + e.what());
  }
}

protocol::CallReply run_call(const FunctionTable& functions, const protocol::CallView& request,
                             std::chrono::steady_clock::time_point deadline, std::stop_token stop, int* exit_status) {
  const auto id = request.id;
  if (request.mode == protocol::CallMode::call && std::chrono::steady_clock::now() >= deadline) {
    return protocol::CallReply::failure(id, {ErrorCode::request_timeout, "deadline passed while queued"});
  }
  const Function* function = functions.find(request.function);
  if (!function) {
    return protocol::CallReply::failure(id,
                                        {ErrorCode::not_found, "unknown function " + std::string(request.function)});
  }
  try {
    msgpack::zone zone(kFirstZoneBytes);
    const auto args = unpack_arguments(zone, request.args_msgpack);
    if (!args) return protocol::CallReply::failure(id, args.error());
    auto result = function->handler(
        *args, CallContext{deadline, std::move(stop), request.args_msgpack, exit_status, request.input, &functions});
    if (!result) return protocol::CallReply::failure(id, result.error());
    return protocol::CallReply::result(id, std::move(result).value());
  } catch (const std::exception& e) {
    return protocol::CallReply::failure(id,
                                        {ErrorCode::internal, std::string(request.function) + " failed: " + e.what()});
  }
}

void add_programs(FunctionTable& table, const std::vector<FunctionSpec>& specs) {
  for (const auto& spec : specs) {
    auto check = [spec](const msgpack::object& args) -> Status {
      auto argv = program_argv(spec, args);
      if (!argv) return argv.error();
      return {};
    };
    auto run = [spec](const msgpack::object& args, const CallContext& context) -> Result<std::string> {
      auto argv = program_argv(spec, args);
      if (!argv) return argv.error();
      const auto own_limit = std::chrono::steady_clock::now() + std::chrono::milliseconds(spec.timeout_ms);
      ProgramLimits limits{std::min(own_limit, context.deadline), spec.max_output_bytes};
      auto outcome = run_program(*argv, limits, context.stop, context.input);
      if (!outcome) return outcome.error();
      if (context.exit_status) *context.exit_status = outcome->exit_code;
      return pack_outcome(*outcome);
    };
    table.add(spec.name, std::move(run), Execution::on_worker_pool, std::move(check), spec.takes_stdin);
  }
}

}  // namespace rpclb::agent
