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

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (std::size_t i = 0; i < kLevels.size(); ++i) {
    if (kLevels[i].name == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

void Logger::write(LogLevel level, std::string_view message) const {
  if (level > level_) return;
  const auto& info = kLevels[static_cast<std::size_t>(level)];
  // One fprintf per line keeps lines from different threads whole.
  std::fprintf(stderr, "%.*srpclb-agent[%s] %.*s: %.*s\n", static_cast<int>(info.syslog_prefix.size()),
               info.syslog_prefix.data(), node_.c_str(), static_cast<int>(info.name.size()), info.name.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace rpclb::agent
