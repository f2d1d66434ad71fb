// Small text helpers shared by the line-based readers (config files, the
// functions file, key files) and by messages that list things.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace rpclb {

// The hash of an unordered map keyed by std::string that is searched by
// std::string_view without a copy (with std::equal_to<>).
struct StringHash : std::hash<std::string_view> {
  using is_transparent = void;
};

// Without leading and trailing spaces, tabs and carriage returns.
inline std::string_view trim(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r";
  const auto first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

// The lines of a text, trimmed, with their 1-based numbers:
//   for (Lines lines(text); lines.next();) use(lines.number(), lines.line());
class Lines {
 public:
  explicit Lines(std::string_view text) : rest_(text) {}

  bool next() {
    if (rest_.empty()) return false;
    const auto newline = rest_.find('\n');
    line_ = trim(rest_.substr(0, newline));
    rest_.remove_prefix(newline == std::string_view::npos ? rest_.size() : newline + 1);
    ++number_;
    return true;
  }
  std::string_view line() const { return line_; }
  std::size_t number() const { return number_; }

 private:
  std::string_view rest_;
  std::string_view line_;
  std::size_t number_ = 0;
};

// "a, b, c" from any range of string-like items.
template <typename Range>
std::string join(const Range& items, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += std::string_view(item);
  }
  return out;
}

}  // namespace rpclb
