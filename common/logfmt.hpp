// logfmt: key=value pairs on one line, the shape of the agent's log and of
// `rpclb --trace`, so one grep or log shipper reads both.
#pragma once

#include <string>
#include <string_view>

namespace rpclb {

// Appends `value`, quoted when it is empty or holds spaces, quotes, '=',
// backslashes or control characters (with \" \\ \n \r \t and \u00XX escapes).
void append_logfmt_value(std::string& line, std::string_view value);
// Appends " key=value".
void append_logfmt_field(std::string& line, std::string_view key, std::string_view value);

}  // namespace rpclb
