#include "cli/config_file.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rpclb::cli {
namespace {

constexpr std::array<std::string_view, 6> kKeys{"bus",          "algorithm",       "timeout_ms", "bus_timeout_ms",
                                                "curve_secret", "curve_server_key"};

}  // namespace

Result<ConfigValues> parse_config(std::string_view text, const std::string& origin) {
  ConfigValues values;
  for (Lines lines(text); lines.next();) {
    const auto line = lines.line();
    const auto line_number = lines.number();
    if (line.empty() || line.front() == '#' || line.front() == ';' || line == "[rpclb]") continue;
    const auto equals = line.find('=');
    const auto where = origin + " line " + std::to_string(line_number) + ": ";
    if (equals == std::string_view::npos) return make_error(ErrorCode::bad_request, where + "expected key = value");
    const auto key = trim(line.substr(0, equals));
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      return make_error(ErrorCode::bad_request, where + "unknown key '" + std::string(key) +
                                                    "' (valid: bus, algorithm, timeout_ms, bus_timeout_ms, "
                                                    "curve_secret, curve_server_key)");
    }
    auto value = line.substr(equals + 1);
    // A '#' after whitespace starts a comment, as in the files' own examples.
    for (std::size_t at = 1; at < value.size(); ++at) {
      if (value[at] == '#' && (value[at - 1] == ' ' || value[at - 1] == '\t')) {
        value = value.substr(0, at);
        break;
      }
    }
    values[std::string(key)] = ConfigValue{std::string(trim(value)), origin + " line " + std::to_string(line_number)};
  }
  return values;
}

std::vector<std::filesystem::path> config_files() {
  std::vector<std::filesystem::path> candidates;
  const char* system = std::getenv("RPCLB_SYSTEM_CONFIG");
  candidates.emplace_back(system && *system ? system : "/etc/rpclb/rpclb.conf");
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    candidates.push_back(std::filesystem::path(xdg) / "rpclb" / "rpclb.conf");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    candidates.push_back(std::filesystem::path(home) / ".config" / "rpclb" / "rpclb.conf");
  }
  std::vector<std::filesystem::path> existing;
  std::error_code ignored;
  for (const auto& path : candidates) {
    if (std::filesystem::is_regular_file(path, ignored)) existing.push_back(path);
  }
  return existing;
}

Result<ConfigValues> load_config() {
  ConfigValues merged;
  for (const auto& path : config_files()) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    auto values = parse_config(text.str(), path.string());
    if (!values) return values.error();
    for (auto& [key, value] : *values) merged[key] = std::move(value);
  }
  return merged;
}

}  // namespace rpclb::cli
