// rpclb call|cast GROUP MODULE.FUNCTION [ARG...|--args JSON|--args-file F],
// and call's fan-out (--all, -n COUNT).
#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <random>

#include "cli/call_arguments.hpp"
#include "cli/commands.hpp"
#include "cli/fan_out_output.hpp"
#include "cli/output.hpp"
#include "cli/program_output.hpp"
#include "common/json_msgpack.hpp"
#include "common/logfmt.hpp"
#include "common/signals.hpp"
#include "common/text.hpp"
#include "lib/fan_out.hpp"

namespace rpclb::cli {
namespace {

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
  std::vector<std::string> arg_files;    // --arg-file
  bool send_stdin = false;               // --stdin
  bool all = false;                      // --all
  std::size_t count = 1;                 // -n
  std::size_t parallel = 32;
  SelectionFlags selection;
  bool trace = false;                     // --trace
  std::optional<std::string> request_id;  // --request-id
  bool json_lines = false;                // --json-lines
  bool quiet = false;                     // --quiet
  bool raw = false;                       // --raw
  bool gather = false;                    // --gather

  Fan fan() const {
    if (all) return Fan::all;
    return count > 1 ? Fan::count : Fan::one;
  }
};

// The call's arguments, each one value exactly as given.
Result<CallArguments> arguments_of(const CallCommandOptions& options) {
  if (options.args_json || options.args_file) {
    if (!options.words.empty() || !options.arg_files.empty() || (options.args_json && options.args_file)) {
      return make_error(ErrorCode::bad_request,
                        "give arguments one way: ARG... (and --arg-file), --args or --args-file");
    }
    const bool reads_stdin = options.args_json == "-" || options.args_file == "-";
    if (reads_stdin && options.send_stdin) {
      return make_error(ErrorCode::bad_request, "standard input can be the arguments or --stdin, not both");
    }
    return options.args_json ? arguments_from_json(*options.args_json) : arguments_from_file(*options.args_file);
  }
  return arguments_from_words(options.words, options.arg_files);
}

// What --stdin sends to the program's standard input: all of rpclb's.
Result<std::optional<std::string>> program_input_of(const CallCommandOptions& options) {
  if (!options.send_stdin) return std::optional<std::string>();
  auto input = standard_input_for_program();
  if (!input) return input.error();
  return std::optional<std::string>(std::move(input).value());
}

// At most one way to print: --json, --json-lines, --raw or --gather (the
// last two also with each other: --gather shows the raw output, grouped).
Status valid_output_choice(const CommonOptions& common, const CallCommandOptions& options) {
  const int formats = int(common.json) + int(options.json_lines) + int(options.raw || options.gather);
  if (formats > 1) return make_error(ErrorCode::bad_request, "give one of --json, --json-lines, --raw or --gather");
  if (options.fan() == Fan::one && (options.json_lines || options.gather)) {
    return make_error(ErrorCode::bad_request, std::string(options.gather ? "--gather" : "--json-lines") +
                                                  " is for a fan-out: add --all or -n COUNT");
  }
  return {};
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

int call_one(const CommonOptions& common, const CallCommandOptions& options, const CallArguments& args,
             std::optional<std::string> input) {
  auto balancer = make_balancer(common, options.selection, options.group, tracing_of(options));
  if (!balancer) return report(balancer.error(), common.json);
  CallAttempts call;
  if (auto begun =
          balancer->begin_call(call, options.function, args.msgpack, options.mode, deadline_for(common), std::nullopt);
      !begun) {
    return report(begun.error(), common.json);
  }
  call.request.input = std::move(input);
  auto outcome = balancer->run(std::move(call));
  if (!outcome) return report(outcome.error(), common.json);

  if (options.mode == protocol::CallMode::cast) {
    common.json ? print_json({{"node", outcome->member.name}, {"accepted", true}})
                : print_member_names({outcome->member});
    return kExitOk;
  }
  if (options.raw) return write_raw(*outcome);
  auto value = msgpack_to_json(outcome->value_msgpack);
  if (!value) return report({ErrorCode::internal, "agent returned an unreadable result"}, common.json);
  common.json ? print_json({{"node", outcome->member.name}, {"result", *value}}) : print_json(*value);
  return exit_code_of(*outcome);
}

// The exit code for a fan-out stopped by `signal` ("SIGINT": 130), as a
// shell reports a process the signal ended.
int stopped_exit_code(const std::string& signal) {
  if (signal == "SIGTERM") return 128 + SIGTERM;
  if (signal == "SIGHUP") return 128 + SIGHUP;
  return 128 + SIGINT;
}

// FUNCTION on every member (--all) or on COUNT members chosen by the
// algorithm (those that cannot take it replaced), `parallel` at a time, each
// answer printed as it arrives. The first SIGINT or SIGTERM ends it with what
// has arrived, and names on stderr the members still pending; a second one
// ends the process at once.
int call_many(const CommonOptions& common, const CallCommandOptions& options, const CallArguments& args,
              std::optional<std::string> input) {
  // Made before any thread starts, so that ZeroMQ's threads leave the
  // signals to it. A closed pipe on stdout (`| head -1`) ends rpclb quietly,
  // as it does other tools.
  SignalFd interrupted;
  ::signal(SIGPIPE, SIG_DFL);
  auto balancer = make_balancer(common, options.selection, options.group, tracing_of(options));
  if (!balancer) return report(balancer.error(), common.json);
  const auto format = common.json          ? FanOutFormat::json
                      : options.json_lines ? FanOutFormat::json_lines
                      : options.gather     ? FanOutFormat::gather
                      : options.raw        ? FanOutFormat::raw
                                           : FanOutFormat::plain;
  FanOutPrinter printer(format, options.mode);
  FanOutProgress progress(!options.quiet && ::isatty(STDERR_FILENO) == 1);
  std::string stopped_by;
  FanOutWatch watch;
  watch.on_planned = [&](std::size_t total) { progress.planned(total); };
  watch.on_sent = [&](const Member& member) { progress.sent(member); };
  watch.on_arrived = [&](const Member& member) {
    progress.clear();  // before a --trace line
    progress.arrived(member);
  };
  watch.on_result = [&](const Member& member, const Result<CallOutcome>& outcome) {
    progress.clear();
    printer.print(member, outcome);
    progress.ended(!outcome);
    progress.draw();
  };
  if (progress.enabled()) watch.on_tick = [&] { progress.draw(); };
  watch.stop_requested = [&] {
    if (stopped_by.empty()) {
      stopped_by = interrupted.take();
      if (!stopped_by.empty()) interrupted.tearing_down();  // the next signal exits at once
    }
    return !stopped_by.empty();
  };
  watch.wake_fd = interrupted.fd();

  const std::size_t count = options.fan() == Fan::all ? 0 : options.count;
  FanOut request;
  request.function = options.function;
  request.args_msgpack = args.msgpack;
  request.parallel = options.parallel;
  request.mode = options.mode;
  request.input = std::move(input);
  auto fanned = balancer->fan_out(count, std::move(request), deadline_for(common), watch);
  progress.clear();
  if (!fanned) return report(fanned.error(), common.json);
  printer.finish(fanned->members, fanned->results);
  for (const auto& text : fanned->notes) note(text);
  if (fanned->stopped) {
    std::vector<std::string> pending;
    for (const auto& member : fanned->pending) pending.push_back(member.name);
    note(stopped_by + ": stopped with " + std::to_string(pending.size()) + " still pending: " + join(pending, ", "));
    return stopped_exit_code(stopped_by);
  }
  return fan_out_exit_code(fanned->results);
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
  command.add_option("--arg-file", options->arg_files,
                     "One more argument after ARG...: FILE's bytes, as one string (repeatable)");
  command.add_flag("--stdin", options->send_stdin,
                   "Send rpclb's standard input (at most 4 MiB) to the program's, for a function whose entry in the "
                   "functions file says stdin = true");
  add_selection(command, common, options->selection);
  add_retries(command, options->selection);
  command.add_flag("--json-lines", options->json_lines,
                   "With --all or -n: one JSON object per member (as --json's) on its own line, as each arrives");
  command.add_flag("-q,--quiet", options->quiet, "With --all or -n: no progress line on stderr (shown on a terminal)");
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
    if (auto chosen = valid_output_choice(common, *options); !chosen) return report(chosen.error(), common.json);
    auto args = arguments_of(*options);
    if (!args) return report(args.error(), common.json);
    auto input = program_input_of(*options);
    if (!input) return report(input.error(), common.json);
    return options->fan() == Fan::one ? call_one(common, *options, *args, std::move(input).value())
                                      : call_many(common, *options, *args, std::move(input).value());
  };
}

}  // namespace

Run setup_call(CLI::App& command, const CommonOptions& common) {
  auto options = add_call_options(command, common, protocol::CallMode::call);
  command.add_flag("--raw", options->raw,
                   "A program's stdout and stderr as they are, and its exit status as rpclb's (as ssh); with --all "
                   "or -n, each line prefixed 'NODE: ' (as pdsh)");
  command.add_flag("--gather", options->gather,
                   "With --all or -n: at the end, members whose output is the same under one header (as dshbak -c)");
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
