// rpclb call|cast GROUP MODULE.FUNCTION [ARG...|--args JSON|--args-file F],
// and call's fan-out (--all, -n COUNT).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <random>

#include "cli/call_arguments.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "common/json_msgpack.hpp"
#include "common/logfmt.hpp"
#include "common/text.hpp"
#include "lib/fan_out.hpp"

namespace rpclb::cli {
namespace {

// `call --all` / `call -n` / `cast --all`: each member's result (a cast's:
// accepted) or error.
void print_fan_out(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results,
                   protocol::CallMode mode, bool json) {
  auto array = nlohmann::json::array();
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& name = members[i].name;
    nlohmann::json line{{"node", name}};
    if (results[i] && mode == protocol::CallMode::cast) {
      line["accepted"] = true;
    } else if (results[i]) {
      auto value = msgpack_to_json(results[i]->value_msgpack);
      line["result"] = value ? *value : nlohmann::json();
    } else {
      line["error"] = error_json(results[i].error());
    }
    if (!json) {
      const auto shown = line.contains("error")    ? json_text(line["error"])
                         : line.contains("result") ? json_text(line["result"])
                                                   : "accepted";
      std::printf("%s\t%s\n", name.c_str(), shown.c_str());
    }
    array.push_back(std::move(line));
  }
  if (json) print_json(array);
}

// One line on stderr for an attempt of a traced call (--trace), logfmt:
//   rpclb: trace request_id=ID attempt=1 member=M endpoint=E outcome=ok ms=0.42
// with error=, skipped_ejected=, ejected_until= and request_id_dropped=true
// when they apply.
void print_trace(const AttemptReport& attempt) {
  std::string line = "rpclb: trace";
  append_logfmt_field(line, "request_id", attempt.request_id);
  append_logfmt_field(line, "attempt", std::to_string(attempt.attempt));
  append_logfmt_field(line, "member", attempt.member);
  append_logfmt_field(line, "endpoint", attempt.endpoint);
  append_logfmt_field(line, "outcome", attempt.error ? to_string(attempt.error->code) : "ok");
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.2f", static_cast<double>(attempt.took.count()) / 1000.0);
  append_logfmt_field(line, "ms", ms);
  if (attempt.error) append_logfmt_field(line, "error", attempt.error->message);
  if (!attempt.skipped_ejected.empty())
    append_logfmt_field(line, "skipped_ejected", join(attempt.skipped_ejected, ","));
  if (attempt.ejected_until != 0) append_logfmt_field(line, "ejected_until", utc_timestamp(attempt.ejected_until));
  if (attempt.id_dropped) append_logfmt_field(line, "request_id_dropped", "true");
  std::fprintf(stderr, "%s\n", line.c_str());
}

// Which members a call goes to.
enum class Fan { one, count, all };

struct CallCommandOptions {
  protocol::CallMode mode = protocol::CallMode::call;
  std::string group;
  std::string function;
  std::vector<std::string> words;        // ARG...
  std::optional<std::string> args_json;  // --args
  std::optional<std::string> args_file;  // --args-file
  bool all = false;                      // --all
  std::size_t count = 1;                 // -n
  std::size_t parallel = 32;
  SelectionFlags selection;
  bool trace = false;                     // --trace
  std::optional<std::string> request_id;  // --request-id

  Fan fan() const {
    if (all) return Fan::all;
    return count > 1 ? Fan::count : Fan::one;
  }
};

// The call's arguments, each one value exactly as given.
Result<CallArguments> arguments_of(const CallCommandOptions& options) {
  if (options.args_json || options.args_file) {
    if (!options.words.empty() || (options.args_json && options.args_file)) {
      return make_error(ErrorCode::bad_request, "give arguments one way: ARG..., --args or --args-file");
    }
    return options.args_json ? arguments_from_json(*options.args_json) : arguments_from_file(*options.args_file);
  }
  return arguments_from_words(options.words);
}

// A random id for a traced call that was not given one.
std::string random_request_id() {
  std::random_device seed;
  char id[20];
  std::snprintf(id, sizeof id, "%08x%08x", seed(), seed());
  return id;
}

// What --trace and --request-id ask for: the id goes to the agents (whose
// logs show it); with --trace, each attempt is told on stderr.
CallTracing tracing_of(const CallCommandOptions& options) {
  CallTracing tracing;
  if (options.request_id) tracing.request_id = *options.request_id;
  if (options.trace) {
    if (tracing.request_id.empty()) tracing.request_id = random_request_id();
    tracing.on_attempt = print_trace;
  }
  return tracing;
}

int call_one(const CommonOptions& common, const CallCommandOptions& options, const CallArguments& args) {
  auto balancer = make_balancer(common, options.selection, options.group, tracing_of(options));
  if (!balancer) return report(balancer.error(), common.json);
  auto outcome = balancer->call(options.function, args.msgpack, options.mode, deadline_for(common));
  if (!outcome) return report(outcome.error(), common.json);

  if (options.mode == protocol::CallMode::cast) {
    common.json ? print_json({{"node", outcome->member.name}, {"accepted", true}})
                : print_member_names({outcome->member});
    return kExitOk;
  }
  auto value = msgpack_to_json(outcome->value_msgpack);
  if (!value) return report({ErrorCode::internal, "agent returned an unreadable result"}, common.json);
  common.json ? print_json({{"node", outcome->member.name}, {"result", *value}}) : print_json(*value);
  return kExitOk;
}

// FUNCTION on every member (--all) or on COUNT members chosen by the
// algorithm (those that cannot take it replaced), `parallel` at a time.
int call_many(const CommonOptions& common, const CallCommandOptions& options, const CallArguments& args) {
  auto balancer = make_balancer(common, options.selection, options.group, tracing_of(options));
  if (!balancer) return report(balancer.error(), common.json);
  const std::size_t count = options.fan() == Fan::all ? 0 : options.count;
  auto fanned =
      balancer->fan_out(count, options.function, args.msgpack, options.mode, deadline_for(common), options.parallel);
  if (!fanned) return report(fanned.error(), common.json);
  for (const auto& text : fanned->notes) note(text);
  print_fan_out(fanned->members, fanned->results, options.mode, common.json);
  return first_failure(fanned->results);
}

std::shared_ptr<CallCommandOptions> add_call_options(CLI::App& command, const CommonOptions& common,
                                                     protocol::CallMode mode) {
  auto options = std::make_shared<CallCommandOptions>();
  options->mode = mode;
  command.add_option("GROUP", options->group, "Load-balancer group")->required();
  command.add_option("FUNCTION", options->function, "MODULE.FUNCTION, e.g. sys.echo")->required();
  command.add_option("ARG", options->words,
                     "Arguments, each one value: JSON if it parses as JSON, else the string typed (use -- before -5)");
  command.add_option("--args", options->args_json, "All arguments as one JSON array, or - to read it from stdin");
  command.add_option("--args-file", options->args_file, "All arguments as one JSON array, read from FILE");
  add_selection(command, common, options->selection);
  add_retries(command, options->selection);
  command.add_flag("--trace", options->trace,
                   "One line per attempt on stderr: member, endpoint, outcome, time, ejections (and a request id)");
  command
      .add_option("--request-id", options->request_id,
                  "Name this call in the agents' logs (1-64 of A-Z a-z 0-9 . _ : -); --trace makes one up")
      ->check([](const std::string& id) {
        return protocol::is_valid_request_id(id) ? std::string() : "must be 1 to 64 characters of A-Z a-z 0-9 . _ : -";
      });
  return options;
}

Run run_call(const CommonOptions& common, std::shared_ptr<CallCommandOptions> options) {
  return [&common, options](const VerbatimArgv& words) {
    const auto& verbatim = words.arguments_after_double_dash();
    options->words.insert(options->words.end(), verbatim.begin(), verbatim.end());
    auto args = arguments_of(*options);
    if (!args) return report(args.error(), common.json);
    return options->fan() == Fan::one ? call_one(common, *options, *args) : call_many(common, *options, *args);
  };
}

}  // namespace

Run setup_call(CLI::App& command, const CommonOptions& common) {
  auto options = add_call_options(command, common, protocol::CallMode::call);
  command.add_flag("--all", options->all, "Call every member (matching --match); one result per node");
  command.add_option("-n,--count", options->count, "Call this many distinct members chosen by the algorithm")
      ->check(in_range(1, 100000));
  command
      .add_option("--parallel", options->parallel,
                  "With --all or -n: calls in flight at once (one connection per member)")
      ->check(in_range(1, kMaxFanOutParallel))
      ->default_str(std::to_string(options->parallel));
  return run_call(common, options);
}

Run setup_cast(CLI::App& command, const CommonOptions& common) {
  auto options = add_call_options(command, common, protocol::CallMode::cast);
  command.add_flag("--all", options->all, "Cast to every member (matching --match); one line per node");
  command.add_option("--parallel", options->parallel, "With --all: casts in flight at once")
      ->check(in_range(1, kMaxFanOutParallel))
      ->default_str(std::to_string(options->parallel));
  return run_call(common, options);
}

}  // namespace rpclb::cli
