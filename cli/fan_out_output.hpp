// What a fan-out (`rpclb call --all`, `call -n`, `cast --all`) shows while it
// runs: each member's line on stdout as its answer arrives (flushed, so a
// pipe sees it at once), and a progress line on stderr when that is a
// terminal.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "cli/program_output.hpp"
#include "common/clock.hpp"
#include "common/protocol.hpp"
#include "lib/call_outcome.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb::cli {

// How each member's answer is written on stdout.
enum class FanOutFormat {
  plain,       // NODE<tab>RESULT, as each arrives
  json,        // one array of {"node", "result"|"error"|"accepted"} at the end
  json_lines,  // one such object per line, as each arrives
  raw,         // a program's stdout and stderr, each line "NODE: LINE", as each arrives (pdsh)
  gather,      // at the end, members with the same output under one header (dshbak -c)
};

class FanOutPrinter {
 public:
  FanOutPrinter(FanOutFormat format, protocol::CallMode mode) : format_(format), mode_(mode) {}

  // A member's answer has arrived.
  void print(const Member& member, const Result<CallOutcome>& outcome);
  // The fan-out has ended (or was stopped) with these: what is still to
  // print (--json's array, in the order the members were chosen).
  void finish(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results);

 private:
  nlohmann::json line_of(const Member& member, const Result<CallOutcome>& outcome) const;

  FanOutFormat format_;
  protocol::CallMode mode_;
  Gathered gathered_;  // --gather
};

// "rpclb: 12/33 done, 1 failed, waiting on node-slow (4.2 s)", redrawn in
// place on stderr; off unless stderr is a terminal.
class FanOutProgress {
 public:
  explicit FanOutProgress(bool enabled) : enabled_(enabled) {}
  bool enabled() const { return enabled_; }

  void planned(std::size_t total) { total_ = total; }
  void sent(const Member& member) { waiting_.emplace(member.name, Clock::now()); }
  void arrived(const Member& member) { waiting_.erase(member.name); }
  void ended(bool failed);
  // Rubs the line out (before anything else is written), and draws it again.
  void clear();
  void draw();

 private:
  bool enabled_;
  std::size_t total_ = 0;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  std::map<std::string, Clock::time_point> waiting_;  // sent, not yet answered
  bool drawn_ = false;
};

}  // namespace rpclb::cli
