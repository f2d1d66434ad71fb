// Logger: levelled, one line per event on stderr, each prefixed with its
// syslog priority ("<6>") so journald files it at the right level.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rpclb::agent {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

std::optional<LogLevel> parse_log_level(std::string_view name);

class Logger {
 public:
  Logger(std::string node, LogLevel level) : node_(std::move(node)), level_(level) {}

  void error(std::string_view message) const { write(LogLevel::error, message); }
  void warn(std::string_view message) const { write(LogLevel::warn, message); }
  void info(std::string_view message) const { write(LogLevel::info, message); }
  void debug(std::string_view message) const { write(LogLevel::debug, message); }

 private:
  void write(LogLevel level, std::string_view message) const;

  std::string node_;
  LogLevel level_;
};

}  // namespace rpclb::agent
