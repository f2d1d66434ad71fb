#include "agent/logger.hpp"

#include <array>
#include <cstdio>

namespace rpclb::agent {
namespace {

struct LevelInfo {
  std::string_view name;
  std::string_view syslog_prefix;
};
constexpr std::array<LevelInfo, 4> kLevels{{{"error", "<3>"}, {"warn", "<4>"}, {"info", "<6>"}, {"debug", "<7>"}}};

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (const unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

void append_value(std::string& line, std::string_view value) {
  if (!needs_quotes(value)) {
    line += value;
    return;
  }
  line += '"';
  for (const unsigned char c : value) {
    switch (c) {
      case '"':
        line += "\\\"";
        break;
      case '\\':
        line += "\\\\";
        break;
      case '\n':
        line += "\\n";
        break;
      case '\r':
        line += "\\r";
        break;
      case '\t':
        line += "\\t";
        break;
      default:
        if (c < ' ' || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          line += escaped;
        } else {
          line += static_cast<char>(c);
        }
    }
  }
  line += '"';
}

void append_field(std::string& line, std::string_view key, std::string_view value) {
  line += ' ';
  line += key;
  line += '=';
  append_value(line, value);
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (std::size_t i = 0; i < kLevels.size(); ++i) {
    if (kLevels[i].name == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

std::string format_log_line(LogLevel level, std::string_view node, std::string_view event, LogFields fields) {
  const auto& info = kLevels[static_cast<std::size_t>(level)];
  std::string line(info.syslog_prefix);
  line += "level=";
  line += info.name;
  append_field(line, "node", node);
  append_field(line, "event", event);
  for (const auto& field : fields) append_field(line, field.key, field.value);
  return line;
}

void Logger::write(LogLevel level, std::string_view event, LogFields fields) const {
  if (!enabled(level)) return;
  auto line = format_log_line(level, node_, event, fields);
  line += '\n';
  // One write per line keeps lines from different threads whole.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace rpclb::agent
