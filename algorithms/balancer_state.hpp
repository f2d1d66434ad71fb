// BalancerState: the small amount of memory a balancer keeps between choices
// (rotation counters, per-node connection counts), as named integers.
//
// The CLI is a fresh process per command, so this state is loaded from and
// saved to a per-balancer file while holding an exclusive lock on it
// (StateFile). Every choice on a host therefore happens as if one
// long-lived balancer made it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace rpclb::algorithms {

class BalancerState {
 public:
  using Entries = std::map<std::string, std::int64_t, std::less<>>;

  std::int64_t get(std::string_view key, std::int64_t fallback = 0) const;
  void set(std::string_view key, std::int64_t value);
  void erase(std::string_view key);
  const Entries& entries() const { return entries_; }
  bool changed() const { return changed_; }

  // Text form: one "key value" line per entry. Parsing is strict; callers
  // treat a parse failure as "start afresh".
  std::string serialize() const;
  static Result<BalancerState> parse(std::string_view text);

 private:
  Entries entries_;
  bool changed_ = false;
};

// An open, exclusively locked state file. The lock is released (and the file
// closed) on destruction, so at most one process is ever between load() and
// save() for a balancer.
class StateFile {
 public:
  // Opens (creating if needed) and locks `path`; waits for other holders up to
  // `lock_timeout_ms`.
  static Result<StateFile> open(const std::filesystem::path& path, int lock_timeout_ms = 2000);
  StateFile(StateFile&& other) noexcept;
  StateFile& operator=(StateFile&& other) noexcept;
  StateFile(const StateFile&) = delete;
  StateFile& operator=(const StateFile&) = delete;
  ~StateFile();

  // A corrupt or unreadable file yields an empty state: losing a rotation
  // position is harmless, refusing to balance is not.
  BalancerState load() const;
  Status save(const BalancerState& state) const;

 private:
  explicit StateFile(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Where state files live: $RPCLB_STATE_DIR, else $XDG_RUNTIME_DIR/rpclb, else
// /tmp/rpclb-<uid>. The folder is created private (0700) and refused if
// another user owns it.
Result<std::filesystem::path> state_directory();

// One file per balancer: group, algorithm and the bus it was discovered on.
std::string state_file_name(std::string_view group, std::string_view algorithm, std::string_view bus_identity);

}  // namespace rpclb::algorithms
