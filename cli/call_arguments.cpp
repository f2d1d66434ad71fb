#include "cli/call_arguments.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/json_msgpack.hpp"
#include "common/protocol.hpp"

namespace rpclb::cli {
namespace {

// Arguments that could not fit in one frame are refused while reading, so a
// huge file is never read whole.
Result<std::string> read_bounded(std::FILE* in, const std::string& what, std::size_t most = protocol::kMaxFrameBytes,
                                 const std::string& limit = "the largest request rpclb sends") {
  std::string text;
  char buffer[65536];
  while (true) {
    const auto n = std::fread(buffer, 1, sizeof buffer, in);
    text.append(buffer, n);
    if (text.size() > most) {
      return make_error(ErrorCode::bad_request, what + " is over " + std::to_string(most) + " bytes, " + limit);
    }
    if (n < sizeof buffer) break;
  }
  if (std::ferror(in)) return make_error(ErrorCode::bad_request, "cannot read " + what);
  return text;
}

Result<CallArguments> from_json_array(std::string_view text, const std::string& what) {
  auto parsed = parse_json_exactly(text);
  if (!parsed || !parsed->is_array()) {
    return make_error(ErrorCode::bad_request, what + " must be one JSON array of arguments, e.g. [\"a\", 1]");
  }
  return CallArguments{json_to_msgpack(*parsed)};
}

}  // namespace

Result<CallArguments> arguments_from_words(const std::vector<std::string>& words,
                                           const std::vector<std::string>& file_arguments) {
  auto values = nlohmann::json::array();
  for (const auto& word : words) values.push_back(parse_cli_argument(word));
  for (const auto& path : file_arguments) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file)
      return make_error(ErrorCode::bad_request, "cannot read --arg-file " + path + ": " + std::strerror(errno));
    auto bytes = read_bounded(file.get(), "--arg-file " + path);
    if (!bytes) return bytes.error();
    values.push_back(std::move(bytes).value());
  }
  return CallArguments{json_to_msgpack(values)};
}

Result<std::string> standard_input_for_program() {
  return read_bounded(stdin, "standard input", protocol::kMaxInputBytes, "the most --stdin sends");
}

Result<CallArguments> arguments_from_json(const std::string& text_or_stdin) {
  if (text_or_stdin == "-") return arguments_from_file("-");
  return from_json_array(text_or_stdin, "--args");
}

Result<CallArguments> arguments_from_file(const std::string& path_or_stdin) {
  if (path_or_stdin == "-") {
    auto text = read_bounded(stdin, "standard input");
    if (!text) return text.error();
    return from_json_array(*text, "standard input");
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path_or_stdin.c_str(), "rb"), &std::fclose);
  if (!file) {
    return make_error(ErrorCode::bad_request,
                      "cannot read arguments file " + path_or_stdin + ": " + std::strerror(errno));
  }
  auto text = read_bounded(file.get(), "arguments file " + path_or_stdin);
  if (!text) return text.error();
  return from_json_array(*text, "arguments file " + path_or_stdin);
}

}  // namespace rpclb::cli
