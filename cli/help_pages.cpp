#include "cli/help_pages.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <sstream>

namespace rpclb::cli {
namespace {

// Text as roff shows it literally: backslashes escaped, hyphens as minus
// signs (so they can be searched and copied), and a line never starting
// with a control character.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

// The options a command shows (not the hidden, not positionals).
std::vector<const CLI::Option*> shown_options(const CLI::App& app) {
  return app.get_options(
      [](const CLI::Option* option) { return option->nonpositional() && !option->get_group().empty(); });
}

std::vector<const CLI::Option*> positionals(const CLI::App& app) {
  return app.get_options([](const CLI::Option* option) { return option->get_positional(); });
}

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

// Whether the option is given a value (not a flag): it names its type.
bool takes_value(const CLI::Option& option) {
  return !option.get_type_name().empty();
}

// "-n, --count UINT", as --help names it.
std::string option_heading(const CLI::Option& option) {
  std::string names;
  for (const auto& name : option.get_snames()) names += (names.empty() ? "-" : ", -") + name;
  for (const auto& name : option.get_lnames()) names += (names.empty() ? "--" : ", --") + name;
  std::string heading = "\\fB" + roff(names) + "\\fR";
  if (takes_value(option)) heading += " \\fI" + roff(option.get_type_name()) + "\\fR";
  return heading;
}

void write_options(std::ostringstream& out, const std::vector<const CLI::Option*>& options) {
  for (const auto* option : options) {
    out << ".TP\n" << option_heading(*option) << "\n" << roff(option->get_description());
    if (!option->get_default_str().empty()) out << " (default: " << roff(option->get_default_str()) << ")";
    out << "\n";
  }
}

// Every word an option of `app` (or of the program, `top`) is named by.
std::vector<std::string> flag_words(const CLI::App& app) {
  std::vector<std::string> out;
  for (const auto* option : shown_options(app)) {
    for (const auto& name : option->get_snames()) out.push_back("-" + name);
    for (const auto& name : option->get_lnames()) out.push_back("--" + name);
  }
  return out;
}

// The option of `app` or `top` named `word`, if any.
const CLI::Option* option_named(const CLI::App& app, const CLI::App& top, const std::string& word) {
  for (const auto* in : {&app, &top}) {
    for (const auto* option : in->get_options()) {
      if (!option->nonpositional()) continue;
      if (option->check_name(word)) return option;
    }
  }
  return nullptr;
}

// The values an option offers by itself: the choices of an IsMember check
// ("TEXT:{error,warn}"), else nothing.
std::vector<std::string> choices_of(const CLI::Option& option) {
  const auto type = option.get_type_name();
  const auto open = type.find('{');
  const auto close = type.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> out;
  std::string item;
  for (char c : type.substr(open + 1, close - open - 1)) {
    if (c == ',') {
      out.push_back(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

bool names_a_file(const CLI::Option& option) {
  const auto type = option.get_type_name();
  return type.find("FILE") != std::string::npos || type.find("PATH") != std::string::npos ||
         type.find("DIR") != std::string::npos;
}

}  // namespace

std::string help_footer(const std::vector<HelpSection>& sections) {
  std::string out;
  for (const auto& section : sections) {
    if (!section.in_help) continue;
    if (!out.empty()) out += "\n\n";
    std::string title(section.title);
    std::transform(title.begin() + 1, title.end(), title.begin() + 1, [](unsigned char c) { return std::tolower(c); });
    out += title + ":\n" + section.body;
  }
  return out;
}

std::string man_page(const CLI::App& app, const ManPage& page) {
  std::string upper(page.name);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  std::ostringstream out;
  out << ".TH " << roff(upper) << " " << page.section << " \"\" \"" << roff(page.name) << " " << RPCLB_VERSION
      << "\" \"" << (page.section == "8" ? "System Administration" : "User Commands") << "\"\n";
  out << ".SH NAME\n" << roff(page.name) << " \\- " << roff(page.summary) << "\n";
  out << ".SH SYNOPSIS\n" << roff(page.synopsis) << "\n";
  out << ".SH DESCRIPTION\n" << roff(page.description) << "\n";
  out << ".SH OPTIONS\n";
  write_options(out, shown_options(app));
  const auto commands = commands_of(app);
  if (!commands.empty()) {
    out << ".SH COMMANDS\n";
    for (const auto* command : commands) {
      std::string usage = std::string(page.name) + " " + command->get_name();
      for (const auto* positional : positionals(*command)) {
        usage += " " + positional->get_name() + (positional->get_items_expected_max() > 1 ? "..." : "");
      }
      out << ".SS \"" << roff(usage) << "\"\n" << roff(command->get_description()) << "\n";
      write_options(out, shown_options(*command));
    }
  }
  for (const auto& section : page.sections) {
    out << ".SH " << roff(section.title) << "\n.nf\n" << roff(section.body) << "\n.fi\n";
  }
  return out.str();
}

std::vector<std::string> completions(const CLI::App& app, const std::vector<std::string>& words, std::size_t cword,
                                     const AskBus& ask) {
  const auto commands = commands_of(app);
  const CLI::App* command = nullptr;
  std::vector<std::string> given;  // positionals typed before the word, after the command
  for (std::size_t i = 1; i < cword && i < words.size(); ++i) {
    const auto& word = words[i];
    if (word.starts_with('-')) {
      const auto* option = option_named(command ? *command : app, app, word);
      if (option && takes_value(*option) && word.find('=') == std::string::npos) ++i;  // its value
      continue;
    }
    if (!command) {
      auto found =
          std::find_if(commands.begin(), commands.end(), [&](const CLI::App* c) { return c->get_name() == word; });
      if (found != commands.end()) {
        command = *found;
        continue;
      }
    }
    given.push_back(word);
  }
  const std::string current = cword < words.size() ? words[cword] : "";
  const std::string previous = cword >= 1 && cword - 1 < words.size() ? words[cword - 1] : "";
  const auto& scope = command ? *command : app;

  // The value of an option.
  if (cword >= 2 && previous.starts_with('-')) {
    if (const auto* option = option_named(scope, app, previous); option && takes_value(*option)) {
      if (names_a_file(*option)) return {"__files__"};
      if (option->check_lname("match") && !given.empty()) return ask("members " + given.front());
      if (option->check_lname("algorithm")) return ask("algorithms");
      return choices_of(*option);
    }
  }
  if (current.starts_with('-')) {
    auto flags = flag_words(scope);
    if (command) {
      auto top = flag_words(app);
      flags.insert(flags.end(), top.begin(), top.end());
    }
    return flags;
  }
  if (!command) {
    std::vector<std::string> names;
    for (const auto* c : commands) names.push_back(c->get_name());
    return names;
  }
  // Positionals, by what the command's help calls them.
  const auto wanted = positionals(*command);
  if (given.size() >= wanted.size() && (wanted.empty() || wanted.back()->get_items_expected_max() <= 1)) return {};
  const auto& name = wanted[std::min(given.size(), wanted.size() - 1)]->get_name();
  if (name == "GROUP") return ask("groups");
  if (name == "NODE") return ask(given.empty() ? "members" : "members " + given.front());
  if (name == "FUNCTION" && !given.empty()) return ask("functions " + given.front());
  if (name == "PREFIX") return {"__files__"};
  return {};
}

}  // namespace rpclb::cli
