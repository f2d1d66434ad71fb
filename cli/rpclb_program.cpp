// rpclb: discover, select and call members of rpclb load-balancer groups.
// Global flags and dispatch; each subcommand lives in its own file
// (cli/commands.hpp).
#include "cli/programs.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include "cli/bus_answers.hpp"
#include "cli/commands.hpp"
#include "cli/config_file.hpp"
#include "cli/manuals.hpp"
#include "cli/open_file_limit.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/verbatim_argv.hpp"
#include "common/text.hpp"

namespace rpclb::cli {
namespace {

// Each word an option takes is restored as CLI11 takes it, before the
// option's own checks see it: the one place, so no option can forget
// (cli/verbatim_argv.hpp says why words are hidden from CLI11).
void restore_every_option(CLI::App& app, const VerbatimArgv& words) {
  for (auto* option : app.get_options()) {
    option->transform([&words](std::string value) {
      words.restore(value);
      return value;
    });
  }
  for (auto* command : app.get_subcommands([](CLI::App*) { return true; })) restore_every_option(*command, words);
}

// The exit codes, environment and files, as rpclb(1) has them too.
std::string footer() {
  return help_footer(rpclb_manual().sections);
}

int with_output_written(int code, bool json);

// `rpclb __man` and `rpclb __complete CWORD WORD...` (cli/help_pages.hpp):
// every subcommand set up, as --help has them.
int describe_self(CLI::App& app, CommonOptions& common, int argc, char** argv) {
  for (const auto& subcommand : subcommands()) {
    auto* command = app.add_subcommand(std::string(subcommand.name), std::string(subcommand.description));
    subcommand.setup(*command, common);
  }
  if (std::string_view(argv[1]) == "__man") {
    std::fputs(man_page(app, rpclb_manual()).c_str(), stdout);
    return with_output_written(kExitOk, false);
  }
  std::vector<std::string> words(argv + 3, argv + argc);
  const auto cword = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 0;
  // The bus a TAB asks: the --bus typed so far, else the environment's or
  // the files'; for as long as a --bus-timeout typed says, else briefly.
  auto bound = kCompletionAsksFor;
  for (std::size_t i = 1; i + 1 < words.size(); ++i) {
    if (words[i] == "--bus") common.bus_flags.push_back(words[i + 1]);
    if (words[i] == "--bus-timeout") bound = std::chrono::milliseconds(std::strtoul(words[i + 1].c_str(), nullptr, 10));
  }
  if (auto resolved = resolve_bus(common); !resolved) common.bus.clear();
  for (const auto& candidate : completions(app, words, cword, bus_answers(common, bound))) {
    std::printf("%s\n", candidate.c_str());
  }
  return with_output_written(kExitOk, false);
}

// The first word on the command line that is not an option or an option's
// value: the subcommand, or a word that was meant to be one ("" if none).
// Only that subcommand is built: CLI11 set-up is a measurable share of a
// one-shot run, and the others are needed, by name, only for --help.
std::string requested_subcommand(int argc, char** argv) {
  static const std::set<std::string_view> kTakesValue{
      "--bus",          "--timeout",          "--bus-timeout",     "--connect-timeout",
      "--curve-secret", "--curve-server-key", "--algorithm-plugin"};
  auto takes_value = [](std::string_view arg) {
    return kTakesValue.contains(arg) || std::any_of(kFailureMemorySettings.begin(), kFailureMemorySettings.end(),
                                                    [&](const WholeSetting& setting) { return setting.flag == arg; });
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (takes_value(arg)) {
      ++i;
    } else if (!arg.starts_with('-')) {
      return std::string(arg);
    }
  }
  return "";
}

const Subcommand* find_subcommand(std::string_view name) {
  const auto all = subcommands();
  auto found = std::find_if(all.begin(), all.end(), [&](const Subcommand& s) { return s.name == name; });
  return found == all.end() ? nullptr : &*found;
}

// What a command printed, written in full, or an error, as GNU tools do: a
// full disk or an unwritable file is `internal` (exit 1) with the reason on
// stderr, never a silent 0; a command that failed already keeps its code.
int with_output_written(int code, bool json) {
  if (flush_stdout()) return code;
  const std::string why = stdout_write_error();
  const int reported = report({ErrorCode::internal, "cannot write to standard output: " + why}, json);
  return code == kExitOk ? reported : code;
}

}  // namespace

int rpclb_main(int argc, char** argv) {
  raise_open_file_limit();
  CommonOptions common;
  // Configuration files give the defaults; environment and flags override them (parsed below).
  auto config = load_config();
  if (!config) return report(config.error(), false);
  if (auto applied = apply_config(*config, common); !applied) {
    return report(applied.error(), false);
  }

  CLI::App app{"rpclb " RPCLB_VERSION ": discover, select and call members of rpclb load-balancer groups."};
  app.footer(footer());
  app.require_subcommand(1);
  app.fallthrough();
  add_common_flags(app, common);
  app.set_version_flag("--version", RPCLB_VERSION);
  if (argc > 1 && (std::string_view(argv[1]) == "__man" || std::string_view(argv[1]) == "__complete")) {
    return describe_self(app, common, argc, argv);
  }

  const std::string requested = requested_subcommand(argc, argv);
  const Subcommand* wanted = find_subcommand(requested);
  if (!requested.empty() && !wanted) {
    const bool json =
        std::any_of(argv + 1, argv + argc, [](const char* arg) { return std::string_view(arg) == "--json"; });
    std::vector<std::string_view> names;
    for (const auto& subcommand : subcommands()) names.push_back(subcommand.name);
    return report({ErrorCode::bad_request, "unknown command '" + requested + "' (commands: " + join(names) + ")"},
                  json);
  }
  // The others only for a help text to list (each costs CLI11 a whole App).
  const bool wants_help = std::any_of(argv + 1, argv + argc, [](const char* arg) {
    return std::string_view(arg) == "--help" || std::string_view(arg) == "-h";
  });
  std::map<std::string, Run, std::less<>> runs;
  for (const auto& subcommand : subcommands()) {
    const bool this_one = requested.empty() || requested == subcommand.name;
    if (!this_one && !wants_help) continue;
    auto* command = app.add_subcommand(std::string(subcommand.name), std::string(subcommand.description));
    if (this_one) runs.emplace(subcommand.name, subcommand.setup(*command, common));
  }

  VerbatimArgv words(argc, argv, wanted ? wanted->after_double_dash : VerbatimArgv::AfterDoubleDash::parse);
  restore_every_option(app, words);
  try {
    app.parse(words.argc(), words.argv());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report({ErrorCode::bad_request, words.restored_text(e.what()) + " (see rpclb --help)"}, common.json);
  }
  if (auto resolved = resolve_bus(common); !resolved) {
    return report(resolved.error(), common.json);
  }
  try {
    for (auto* parsed : app.get_subcommands()) {
      auto found = runs.find(parsed->get_name());
      if (found != runs.end()) return with_output_written(found->second(words), common.json);
    }
  } catch (const std::exception& e) {
    return report({ErrorCode::internal, e.what()}, common.json);
  }
  return report({ErrorCode::bad_request, "no subcommand"}, common.json);
}

}  // namespace rpclb::cli
