#include "cli/program_output.hpp"

#include <msgpack.hpp>

#include <algorithm>

#include "cli/output.hpp"
#include "common/json_msgpack.hpp"
#include "common/text.hpp"

namespace rpclb::cli {
namespace {

// A str or bin object's bytes.
std::optional<std::string> bytes_of(const msgpack::object& value) {
  if (value.type == msgpack::type::STR) return std::string(value.via.str.ptr, value.via.str.size);
  if (value.type == msgpack::type::BIN) return std::string(value.via.bin.ptr, value.via.bin.size);
  return std::nullopt;
}

}  // namespace

std::optional<ProgramRun> program_run_of(std::string_view result_msgpack) {
  try {
    const auto unpacked = msgpack::unpack(result_msgpack.data(), result_msgpack.size());
    const auto& map = unpacked.get();
    if (map.type != msgpack::type::MAP) return std::nullopt;
    ProgramRun run;
    bool has_code = false, has_out = false, has_err = false;
    for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
      const auto& [key, value] = map.via.map.ptr[i];
      const auto name = bytes_of(key);
      if (!name) return std::nullopt;
      if (*name == "exit_code" && value.type == msgpack::type::POSITIVE_INTEGER) {
        run.exit_code = static_cast<int>(std::min<std::uint64_t>(value.via.u64, 255));
        has_code = true;
      } else if (*name == "exit_code" && value.type == msgpack::type::NEGATIVE_INTEGER) {
        run.exit_code = 255;  // not a status a process can exit with
        has_code = true;
      } else if (*name == "stdout" && bytes_of(value)) {
        run.out = *bytes_of(value);
        has_out = true;
      } else if (*name == "stderr" && bytes_of(value)) {
        run.err = *bytes_of(value);
        has_err = true;
      } else if (*name == "truncated" && value.type == msgpack::type::BOOLEAN) {
        run.truncated = value.via.boolean;
      } else {
        return std::nullopt;
      }
    }
    if (!has_code || !has_out || !has_err) return std::nullopt;
    return run;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string result_text(std::string_view result_msgpack) {
  if (auto run = program_run_of(result_msgpack)) return run->out + run->err;
  auto value = msgpack_to_json(result_msgpack);
  if (!value) return "";
  if (value->is_string()) return value->get<std::string>();
  return json_text(*value) + "\n";
}

int write_raw(const CallOutcome& outcome) {
  auto run = program_run_of(outcome.value_msgpack);
  if (!run) {
    const auto text = result_text(outcome.value_msgpack);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  std::fwrite(run->out.data(), 1, run->out.size(), stdout);
  flush_stdout();
  std::fwrite(run->err.data(), 1, run->err.size(), stderr);
  if (run->truncated) note(outcome.member.name + "'s output was cut at the function's max_output_bytes");
  return run->exit_code;
}

void write_prefixed(std::FILE* stream, const std::string& node, std::string_view text) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    std::fprintf(stream, "%s: %.*s\n", node.c_str(), static_cast<int>(line.size()), line.data());
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

int exit_code_of(const CallOutcome& outcome) {
  auto run = program_run_of(outcome.value_msgpack);
  return run && run->exit_code != 0 ? kExitProgramFailed : kExitOk;
}

int fan_out_exit_code(const std::vector<Result<CallOutcome>>& results) {
  int code = kExitOk;
  for (const auto& result : results) {
    if (!result) return exit_code_of(result.error());
    code = std::max(code, exit_code_of(*result));
  }
  return code;
}

void Gathered::write(std::FILE* stream) const {
  std::vector<std::pair<std::vector<std::string>, const std::string*>> groups;
  for (const auto& [text, nodes] : by_output_) {
    auto sorted = nodes;
    std::sort(sorted.begin(), sorted.end());
    groups.emplace_back(std::move(sorted), &text);
  }
  std::sort(groups.begin(), groups.end());
  const std::string rule(16, '-');
  for (const auto& [nodes, text] : groups) {
    std::fprintf(stream, "%s\n%s\n%s\n", rule.c_str(), join(nodes, ",").c_str(), rule.c_str());
    std::fwrite(text->data(), 1, text->size(), stream);
    if (!text->empty() && text->back() != '\n') std::fputc('\n', stream);
  }
}

}  // namespace rpclb::cli
