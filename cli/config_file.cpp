#include "cli/config_file.hpp"

#include "cli/options.hpp"

#include "common/endpoint.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rpclb::cli {
namespace {

// Sets `field` from a whole number in `range` (`unit`: " of ms", for errors).
Status set_whole(const ConfigValue& setting, const OptionRange& range, std::string_view unit, std::uint32_t& field) {
  const auto& value = setting.value;
  std::uint32_t number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || end != value.data() + value.size() || number < range.low || number > range.high) {
    return make_error(ErrorCode::bad_request, "must be a whole number" + std::string(unit) + " from " +
                                                  std::to_string(range.low) + " to " + std::to_string(range.high) +
                                                  ", got '" + value + "'");
  }
  field = number;
  return {};
}

const WholeSetting* find_whole_setting(std::string_view name) {
  for (const auto& setting : kFailureMemorySettings) {
    if (setting.key == name) return &setting;
  }
  return nullptr;
}

// Every key a config file may set, and what it sets: the one place that
// knows them (the flags' ranges apply to values from files too).
struct Key {
  std::string_view name;
  Status (*apply)(const ConfigValue& setting, CommonOptions& common);
};

constexpr std::array<Key, 8> kKeys{{
    {"bus",
     [](const ConfigValue& setting, CommonOptions& common) -> Status {
       auto list = split_endpoint_list(setting.value);
       if (!list) return list.error();
       for (const auto& endpoint : *list) {
         if (auto address = bus_address(endpoint); !address) return address.error();
       }
       common.config_bus = std::move(list).value();
       return {};
     }},
    {"algorithm",
     [](const ConfigValue& setting, CommonOptions& common) -> Status {
       common.algorithm = setting.value;
       common.algorithm_origin = setting.origin;
       return {};
     }},
    {"algorithm_plugin",
     [](const ConfigValue& setting, CommonOptions& common) -> Status {
       // Relative to what? Not the directory rpclb happens to run in.
       if (setting.value.empty() || setting.value.front() != '/') {
         return make_error(ErrorCode::bad_request, "must be an absolute path, got '" + setting.value + "'");
       }
       common.config_algorithm_plugins = {setting.value};
       return {};
     }},
    {"timeout_ms",
     [](const ConfigValue& setting, CommonOptions& common) -> Status {
       return set_whole(setting, client_ranges::kTimeoutMs, " of ms", common.timeout_ms);
     }},
    {"bus_timeout_ms",
     [](const ConfigValue& setting, CommonOptions& common) -> Status {
       return set_whole(setting, client_ranges::kBusTimeoutMs, " of ms", common.bus_timeout_ms);
     }},
    {"connect_timeout_ms",
     [](const ConfigValue& setting, CommonOptions& common) -> Status {
       return set_whole(setting, client_ranges::kConnectTimeoutMs, " of ms", common.connect_timeout_ms);
     }},
    {"curve_secret",
     [](const ConfigValue& setting, CommonOptions& common) -> Status {
       common.curve_secret = setting.value;
       return {};
     }},
    {"curve_server_key",
     [](const ConfigValue& setting, CommonOptions& common) -> Status {
       common.curve_server_key = setting.value;
       return {};
     }},
}};

const Key* find_key(std::string_view name) {
  for (const auto& key : kKeys) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string_view> config_keys() {
  std::vector<std::string_view> names;
  for (const auto& key : kKeys) names.push_back(key.name);
  for (const auto& setting : kFailureMemorySettings) names.push_back(setting.key);
  return names;
}

Status apply_config(const ConfigValues& values, CommonOptions& common) {
  for (const auto& [name, setting] : values) {
    const Key* key = find_key(name);
    const WholeSetting* whole = find_whole_setting(name);
    if (!key && !whole) return make_error(ErrorCode::bad_request, setting.origin + ": unknown key '" + name + "'");
    auto applied = key ? key->apply(setting, common) : set_whole(setting, whole->range, "", common.*whole->field);
    if (!applied) {
      return make_error(ErrorCode::bad_request, setting.origin + ": " + name + ": " + applied.error().message);
    }
  }
  return {};
}

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
    if (!find_key(key) && !find_whole_setting(key)) {
      return make_error(ErrorCode::bad_request,
                        where + "unknown key '" + std::string(key) + "' (valid: " + join(config_keys()) + ")");
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
