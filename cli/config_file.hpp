// rpclb's configuration files: defaults for the options scripts would
// otherwise repeat on every command line.
//
// Read in order, later files overriding earlier ones:
//   /etc/rpclb/rpclb.conf                  (or $RPCLB_SYSTEM_CONFIG)
//   $XDG_CONFIG_HOME/rpclb/rpclb.conf      (default ~/.config/rpclb/rpclb.conf)
// Command-line flags override environment variables, which override files.
//
//   # comment
//   key = value   # a comment after whitespace, too
//   bus = tcp://10.0.0.5:7400, tcp://10.0.0.6:7400
//   algorithm = round_robin
//   timeout_ms = 5000
//   bus_timeout_ms = 500
//   connect_timeout_ms = 250
//   curve_secret = /home/me/.config/rpclb/me.key
//   curve_server_key = /etc/rpclb/cluster.pub
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "rpclb/error.hpp"

namespace rpclb::cli {

struct CommonOptions;

struct ConfigValue {
  std::string value;
  std::string origin;  // "FILE line N", for errors about the value
};
using ConfigValues = std::map<std::string, ConfigValue, std::less<>>;

// Parses one file's text; unknown keys and malformed lines are bad_request
// naming the file and line.
Result<ConfigValues> parse_config(std::string_view text, const std::string& origin);

// The files above that exist, in reading order.
std::vector<std::filesystem::path> config_files();

// Every existing config file merged; a broken file is an error, a missing one is not.
Result<ConfigValues> load_config();

// The keys above, for help and errors.
std::vector<std::string_view> config_keys();
// Sets the defaults of the global options from config values; a bad value is
// bad_request naming its file and line.
Status apply_config(const ConfigValues& values, CommonOptions& common);

}  // namespace rpclb::cli
