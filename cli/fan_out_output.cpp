#include "cli/fan_out_output.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/output.hpp"
#include "common/json_msgpack.hpp"

namespace rpclb::cli {

nlohmann::json FanOutPrinter::line_of(const Member& member, const Result<CallOutcome>& outcome) const {
  nlohmann::json line{{"node", member.name}};
  if (outcome && mode_ == protocol::CallMode::cast) {
    line["accepted"] = true;
  } else if (outcome) {
    auto value = msgpack_to_json(outcome->value_msgpack);
    line["result"] = value ? *value : nlohmann::json();
  } else {
    line["error"] = error_json(outcome.error());
  }
  return line;
}

namespace {

// What a member's answer shows as text, for --raw and --gather: its
// program's output, its value, or rpclb's error line.
std::string answer_text(const Result<CallOutcome>& outcome, protocol::CallMode mode) {
  if (!outcome) {
    return "rpclb: " + std::string(to_string(outcome.error().code)) + ": " + outcome.error().message + "\n";
  }
  return mode == protocol::CallMode::cast ? "accepted\n" : result_text(outcome->value_msgpack);
}

}  // namespace

void FanOutPrinter::print(const Member& member, const Result<CallOutcome>& outcome) {
  if (format_ == FanOutFormat::json) return;  // one array at the end
  if (format_ == FanOutFormat::gather) {
    gathered_.add(member.name, answer_text(outcome, mode_));
    return;
  }
  if (format_ == FanOutFormat::raw) {
    auto run = outcome ? program_run_of(outcome->value_msgpack) : std::nullopt;
    write_prefixed(outcome ? stdout : stderr, member.name, run ? run->out : answer_text(outcome, mode_));
    flush_stdout();
    if (run) write_prefixed(stderr, member.name, run->err);
    return;
  }
  const auto line = line_of(member, outcome);
  switch (format_) {
    case FanOutFormat::json:
    case FanOutFormat::raw:
    case FanOutFormat::gather:
      break;
    case FanOutFormat::json_lines:
      std::printf("%s\n", json_text(line).c_str());
      break;
    case FanOutFormat::plain: {
      const auto shown = line.contains("error")    ? json_text(line.at("error"))
                         : line.contains("result") ? json_text(line.at("result"))
                                                   : "accepted";
      std::printf("%s\t%s\n", member.name.c_str(), shown.c_str());
      break;
    }
  }
  // A pipe sees each line as it arrives, not when the buffer fills.
  flush_stdout();
}

void FanOutPrinter::finish(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results) {
  if (format_ == FanOutFormat::gather) gathered_.write(stdout);
  if (format_ != FanOutFormat::json) return;
  auto array = nlohmann::json::array();
  for (std::size_t i = 0; i < members.size(); ++i) array.push_back(line_of(members[i], results[i]));
  print_json(array);
}

void FanOutProgress::ended(bool failed) {
  ++done_;
  if (failed) ++failed_;
}

void FanOutProgress::clear() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

void FanOutProgress::draw() {
  if (!enabled_) return;
  std::string line = "rpclb: " + std::to_string(done_) + "/" + std::to_string(total_) + " done";
  if (failed_ > 0) line += ", " + std::to_string(failed_) + " failed";
  const auto longest = std::min_element(waiting_.begin(), waiting_.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
  if (longest != waiting_.end()) {
    char waited[32];
    std::snprintf(waited, sizeof waited, " (%.1f s)",
                  std::chrono::duration<double>(Clock::now() - longest->second).count());
    line += ", waiting on " + longest->first + waited;
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace rpclb::cli
