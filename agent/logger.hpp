// Logger: the agent's log. One logfmt line per event on stderr,
//
//   <6>level=info node=hub event=member_joined member=adder-1
//
// prefixed with its syslog priority ("<6>") so journald files it at the right
// level, and shaped as key=value pairs so `grep event=member_left` or a log
// shipper can read it without a parser for prose. `event` names are stable.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rpclb::agent {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

std::optional<LogLevel> parse_log_level(std::string_view name);

// Views, not copies: a field is built for every log call, written or not
// (refused requests log at debug under overload), and its temporaries live
// until the call returns.
struct LogField {
  std::string_view key;
  std::string_view value;
};
using LogFields = std::initializer_list<LogField>;

// The line for one event, without its newline. Values with spaces, quotes,
// '=' or control characters are quoted, with \" \\ \n \r \t and \u00XX escapes.
std::string format_log_line(LogLevel level, std::string_view node, std::string_view event, LogFields fields);

class Logger {
 public:
  Logger(std::string node, LogLevel level) : node_(std::move(node)), level_(level) {}

  void error(std::string_view event, LogFields fields = {}) const { write(LogLevel::error, event, fields); }
  void warn(std::string_view event, LogFields fields = {}) const { write(LogLevel::warn, event, fields); }
  void info(std::string_view event, LogFields fields = {}) const { write(LogLevel::info, event, fields); }
  void debug(std::string_view event, LogFields fields = {}) const { write(LogLevel::debug, event, fields); }

  bool enabled(LogLevel level) const { return level <= level_; }

 private:
  void write(LogLevel level, std::string_view event, LogFields fields) const;

  std::string node_;
  LogLevel level_;
};

}  // namespace rpclb::agent
