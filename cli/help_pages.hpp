// What a program says about itself beyond running: its manual page and its
// shell completion, both read off the same CLI11 definitions its --help
// prints, so no flag can be in one and missing from another. The prose
// (exit codes, environment, files, examples) is written once, as sections
// that --help shows in its footer and the manual as sections of its own.
//
//   PROGRAM __man                      the manual page (roff), for meson to install
//   PROGRAM __complete CWORD WORD...   bash completion: one candidate per line
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace rpclb::cli {

struct HelpSection {
  std::string_view title;  // "EXIT STATUS"
  std::string body;        // plain text, lines as they are shown
  bool in_help = true;     // also in --help's footer (the examples are the manual's alone)
};

struct ManPage {
  std::string_view name;     // "rpclb"
  std::string_view section;  // "1"
  std::string_view summary;  // for NAME
  std::string_view synopsis;
  std::string description;
  std::vector<HelpSection> sections;
};

// --help's footer: the sections marked in_help, each under its title.
std::string help_footer(const std::vector<HelpSection>& sections);

// The manual page of `app` (every subcommand set up): NAME, SYNOPSIS,
// DESCRIPTION, OPTIONS, COMMANDS with each one's options, then `page`'s
// sections.
std::string man_page(const CLI::App& app, const ManPage& page);

// What a word being completed may be (`words[cword]`, words[0] the program).
// Values that only a running bus knows (groups, members, functions) come from
// `ask`, given what is wanted ("groups", "members GROUP", "functions GROUP"),
// and so do the algorithms a program knows ("algorithms").
// "__files__" alone means: complete a file name.
using AskBus = std::function<std::vector<std::string>(const std::string& what)>;
std::vector<std::string> completions(const CLI::App& app, const std::vector<std::string>& words, std::size_t cword,
                                     const AskBus& ask);

}  // namespace rpclb::cli
