#include "agent/logger.hpp"

#include "common/logfmt.hpp"

#include <array>
#include <cstdio>

namespace rpclb::agent {
namespace {

struct LevelInfo {
  std::string_view name;
  std::string_view syslog_prefix;
};
constexpr std::array<LevelInfo, 4> kLevels{{{"error", "<3>"}, {"warn", "<4>"}, {"info", "<6>"}, {"debug", "<7>"}}};

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
  append_logfmt_field(line, "node", node);
  append_logfmt_field(line, "event", event);
  for (const auto& field : fields) append_logfmt_field(line, field.key, field.value);
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
