// The arguments of `rpclb call|cast`, from any of the three ways to give them:
//
//   ARG...           each word one value: JSON if it parses as JSON, else the string typed
//   --args JSON|-    one JSON array (- reads it from stdin)
//   --args-file F    one JSON array read from F (- is stdin), for payloads past argv's limits
//   --arg-file F     (after any ARG...) one more argument: F's bytes, as one string
//
// and, apart from the arguments, what `--stdin` sends to the program's
// standard input.
//
// Numbers keep what was typed (parse_json_exactly): 64-bit integers arrive
// exactly, a number JSON cannot carry exactly arrives as the string typed.
#pragma once

#include <string>
#include <vector>

#include "rpclb/error.hpp"

namespace rpclb::cli {

struct CallArguments {
  std::string msgpack;  // one MessagePack array, as it goes on the wire
};

// `file_arguments`: --arg-file paths, each read whole as one more string.
Result<CallArguments> arguments_from_words(const std::vector<std::string>& words,
                                           const std::vector<std::string>& file_arguments = {});
Result<CallArguments> arguments_from_json(const std::string& text_or_stdin);
Result<CallArguments> arguments_from_file(const std::string& path_or_stdin);
// rpclb's standard input, at most protocol::kMaxInputBytes (bad_request past it).
Result<std::string> standard_input_for_program();

}  // namespace rpclb::cli
