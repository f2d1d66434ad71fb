// libFuzzer target: what rpclb reads from a user, a script or a file before
// anything is sent: command-line words (VerbatimArgv), call arguments,
// configuration files, --opt weights= and --match patterns. Nothing may
// crash or hang, every word comes back exactly as typed, and every argument
// array encodes to MessagePack that reads back as JSON.
//
// Input: words separated by NUL bytes (as argv would hold them); the whole
// input is also read as a config file and as an arguments file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "algorithms/weighted_round_robin/weighted_round_robin.hpp"
#include "cli/call_arguments.hpp"
#include "cli/config_file.hpp"
#include "cli/verbatim_argv.hpp"
#include "common/json_msgpack.hpp"
#include "common/match_filter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> words{"rpclb"};
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = std::min(text.find('\0', start), text.size());
    words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::vector<const char*> argv;
  for (const auto& word : words) argv.push_back(word.c_str());

  using rpclb::cli::VerbatimArgv;
  VerbatimArgv verbatim(static_cast<int>(argv.size()), argv.data(), VerbatimArgv::AfterDoubleDash::keep_as_arguments);
  std::vector<std::string> seen(verbatim.argv(), verbatim.argv() + verbatim.argc());
  verbatim.restore(seen);
  seen.insert(seen.end(), verbatim.arguments_after_double_dash().begin(), verbatim.arguments_after_double_dash().end());
  // Every word back as typed (with "--" itself the only one not handed on).
  std::vector<std::string> expected;
  bool dashed = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0 && words[i] == "--" && !dashed) {
      dashed = true;
      continue;
    }
    expected.push_back(words[i]);
  }
  if (seen != expected) std::abort();

  std::vector<std::string> args(words.begin() + 1, words.end());
  auto arguments = rpclb::cli::arguments_from_words(args);
  if (!arguments || !rpclb::msgpack_to_json(arguments->msgpack)) std::abort();
  (void)rpclb::cli::arguments_from_json(text == "-" ? "[]" : text);
  (void)rpclb::cli::parse_config(text, "fuzz.conf");
  for (const auto& word : args) {
    (void)rpclb::algorithms::WeightedRoundRobinAlgorithm::parse_weights(word);
    auto filter = rpclb::MatchFilter::parse({word});
    if (filter) (void)filter->matches(text);
  }
  return 0;
}
