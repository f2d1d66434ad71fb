#include "cli/verbatim_argv.hpp"

#include <charconv>

namespace rpclb::cli {
namespace {

// Starts with a control character no one types, and never looks like an
// option, a subcommand or a bracketed list.
constexpr char kMark = '\x1f';
constexpr std::string_view kPrefix = "\x1frpclb-word-";

bool needs_hiding(const std::string& word) {
  const bool bracketed = word.size() >= 2 && word.front() == '[' && word.back() == ']';
  return bracketed || (!word.empty() && word.front() == kMark);
}

}  // namespace

VerbatimArgv::VerbatimArgv(int argc, const char* const* argv, AfterDoubleDash after_double_dash) {
  for (int i = 0; i < argc; ++i) {
    std::string word = argv[i];
    if (i > 0 && word == "--" && after_double_dash == AfterDoubleDash::keep_as_arguments) {
      after_double_dash_.assign(argv + i + 1, argv + argc);
      break;
    }
    if (i > 0 && needs_hiding(word)) {
      originals_.push_back(std::move(word));
      word = std::string(kPrefix) + std::to_string(originals_.size() - 1) + kMark;
    }
    words_.push_back(std::move(word));
  }
  for (auto& word : words_) pointers_.push_back(word.data());
  pointers_.push_back(nullptr);
}

void VerbatimArgv::restore(std::string& value) const {
  if (!value.starts_with(kPrefix) || value.back() != kMark) return;
  std::size_t index = 0;
  const char* first = value.data() + kPrefix.size();
  const char* last = value.data() + value.size() - 1;
  const auto [end, ec] = std::from_chars(first, last, index);
  if (ec == std::errc() && end == last && index < originals_.size()) value = originals_[index];
}

void VerbatimArgv::restore(std::vector<std::string>& values) const {
  for (auto& value : values) restore(value);
}

std::string VerbatimArgv::restored_text(std::string text) const {
  for (std::size_t i = 0; i < originals_.size(); ++i) {
    const std::string placeholder = std::string(kPrefix) + std::to_string(i) + kMark;
    for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at)) {
      text.replace(at, placeholder.size(), originals_[i]);
      at += originals_[i].size();
    }
  }
  return text;
}

}  // namespace rpclb::cli
