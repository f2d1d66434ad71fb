// Small text helpers shared by the line-based readers (config files, the
// functions file, option values).
#pragma once

#include <string_view>

namespace rpclb {

// Without leading and trailing spaces, tabs and carriage returns.
inline std::string_view trim(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r";
  const auto first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

}  // namespace rpclb
