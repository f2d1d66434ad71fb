#include "agent/function_table.hpp"

#include <algorithm>

#include "agent/program_runner.hpp"
#include "common/json_msgpack.hpp"

namespace rpclb::agent {
namespace {

// One argv entry per call argument; structured values are refused rather
// than flattened in a way the program could misread.
Result<std::string> argument_text(const msgpack::object& value, std::size_t index) {
  switch (value.type) {
    case msgpack::type::STR:
      return std::string(value.via.str.ptr, value.via.str.size);
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
    case msgpack::type::BOOLEAN:
      return object_to_json(value).dump();
    default:
      return make_error(ErrorCode::bad_request,
                        "argument " + std::to_string(index + 1) + " must be a string, number or boolean");
  }
}

void pack_key(msgpack::packer<msgpack::sbuffer>& out, std::string_view key) {
  out.pack_str(static_cast<std::uint32_t>(key.size()));
  out.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
}

std::string pack_outcome(const ProgramOutcome& outcome) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  out.pack_map(4);
  pack_key(out, "exit_code");
  out.pack_int(outcome.exit_code);
  pack_key(out, "stdout");
  pack_key(out, outcome.stdout_text);
  pack_key(out, "stderr");
  pack_key(out, outcome.stderr_text);
  pack_key(out, "truncated");
  outcome.truncated ? out.pack_true() : out.pack_false();
  return std::string(buffer.data(), buffer.size());
}

}  // namespace

void FunctionTable::add(std::string name, Handler handler, Execution execution) {
  functions_[std::move(name)] = Function{std::move(handler), execution};
}

Status FunctionTable::merge(const FunctionTable& other) {
  for (const auto& [name, function] : other.functions_) {
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
  return out;
}

protocol::CallReply run_call(const FunctionTable& functions, const protocol::CallRequest& request,
                             std::chrono::steady_clock::time_point deadline, std::stop_token stop) {
  const auto id = request.id;
  if (request.mode == protocol::CallMode::call && std::chrono::steady_clock::now() >= deadline) {
    return protocol::CallReply::failure(id, {ErrorCode::request_timeout, "deadline passed while queued"});
  }
  const Function* function = functions.find(request.function);
  if (!function) {
    return protocol::CallReply::failure(id, {ErrorCode::not_found, "unknown function " + request.function});
  }
  try {
    const auto& bytes = request.args_msgpack;
    auto args = msgpack::unpack(bytes.data(), bytes.size());
    auto result = function->handler(args.get(), CallContext{deadline, std::move(stop), bytes});
    if (!result) return protocol::CallReply::failure(id, result.error());
    return protocol::CallReply::result(id, std::move(result).value());
  } catch (const std::exception& e) {
    return protocol::CallReply::failure(id, {ErrorCode::internal, request.function + " failed: " + e.what()});
  }
}

void add_programs(FunctionTable& table, const std::vector<FunctionSpec>& specs) {
  for (const auto& spec : specs) {
    table.add(spec.name, [spec](const msgpack::object& args, const CallContext& context) -> Result<std::string> {
      std::vector<std::string> argv{spec.program};
      argv.insert(argv.end(), spec.args.begin(), spec.args.end());
      for (std::uint32_t i = 0; i < args.via.array.size; ++i) {
        auto text = argument_text(args.via.array.ptr[i], i);
        if (!text) return text.error();
        argv.push_back(std::move(text).value());
      }
      const auto own_limit = std::chrono::steady_clock::now() + std::chrono::milliseconds(spec.timeout_ms);
      ProgramLimits limits{std::min(own_limit, context.deadline), spec.max_output_bytes};
      auto outcome = run_program(argv, limits, context.stop);
      if (!outcome) return outcome.error();
      return pack_outcome(*outcome);
    });
  }
}

}  // namespace rpclb::agent
