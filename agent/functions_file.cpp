#include "agent/functions_file.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "common/protocol.hpp"

static_assert(2 * rpclb::agent::kMaxOutputBytes + 64 * 1024 < rpclb::protocol::kMaxFrameBytes,
              "a program's result must fit in one frame");

namespace rpclb::agent {
namespace {

Result<std::uint32_t> parse_positive(std::string_view text, std::uint32_t max) {
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > max) {
    return make_error(ErrorCode::bad_request, "expected a whole number from 1 to " + std::to_string(max));
  }
  return value;
}

Status check_complete(const FunctionSpec& spec) {
  if (spec.program.empty()) return make_error(ErrorCode::bad_request, "[" + spec.name + "] has no program");
  return {};
}

}  // namespace

Result<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 == text.size()) return make_error(ErrorCode::bad_request, "trailing backslash");
      word += text[++i];
      in_word = true;
    } else if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quoted) return make_error(ErrorCode::bad_request, "unterminated quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<std::vector<FunctionSpec>> parse_functions(std::string_view text) {
  std::vector<FunctionSpec> specs;
  Lines lines(text);
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::bad_request, "functions file line " + std::to_string(lines.number()) + ": " + why);
  };
  while (lines.next()) {
    const auto line = lines.line();
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;

    if (line.front() == '[') {
      if (line.back() != ']') return fail("section header must end with ]");
      if (!specs.empty()) {
        if (auto status = check_complete(specs.back()); !status) return fail(status.error().message);
      }
      const std::string name(trim(line.substr(1, line.size() - 2)));
      if (!protocol::is_valid_function_name(name)) return fail("'" + name + "' is not module.function");
      if (name.starts_with("sys.")) return fail("the sys module is reserved for built-ins");
      if (std::any_of(specs.begin(), specs.end(), [&](const FunctionSpec& s) { return s.name == name; })) {
        return fail("function " + name + " is defined twice");
      }
      specs.push_back(FunctionSpec{name, {}, {}});
      continue;
    }

    const auto equals = line.find('=');
    if (equals == std::string_view::npos) return fail("expected key = value or [module.function]");
    if (specs.empty()) return fail("setting outside of a [module.function] section");
    const auto key = trim(line.substr(0, equals));
    const auto value = trim(line.substr(equals + 1));
    FunctionSpec& spec = specs.back();
    if (key == "program") {
      if (value.empty() || value.front() != '/') return fail("program must be an absolute path");
      spec.program = std::string(value);
    } else if (key == "args") {
      auto words = split_words(value);
      if (!words) return fail(words.error().message);
      spec.args = std::move(words).value();
    } else if (key == "timeout_ms") {
      auto number = parse_positive(value, 24 * 3600 * 1000);
      if (!number) return fail("timeout_ms: " + number.error().message);
      spec.timeout_ms = *number;
    } else if (key == "max_output_bytes") {
      auto number = parse_positive(value, kMaxOutputBytes);
      if (!number) return fail("max_output_bytes: " + number.error().message);
      spec.max_output_bytes = *number;
    } else if (key == "stdin") {
      if (value != "true" && value != "false") return fail("stdin must be true or false");
      spec.takes_stdin = value == "true";
    } else {
      return fail("unknown key '" + std::string(key) + "' (valid: program, args, timeout_ms, max_output_bytes, stdin)");
    }
  }
  if (!specs.empty()) {
    if (auto status = check_complete(specs.back()); !status) {
      return make_error(ErrorCode::bad_request, "functions file: " + status.error().message);
    }
  }
  return specs;
}

Result<std::vector<FunctionSpec>> load_functions_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::bad_request, "cannot read functions file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto specs = parse_functions(text.str());
  if (!specs) return make_error(ErrorCode::bad_request, path + ": " + specs.error().message);
  return specs;
}

}  // namespace rpclb::agent
