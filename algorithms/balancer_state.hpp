// BalancerState: what a balancer remembers between choices, in two parts:
//
//   counters     named integers owned by a policy ("round_robin.next")
//   outstanding  per node: selections this caller made and has not released
//                (`rpclb select` +1, `rpclb release` / end of `rpclb call` -1)
//
// The CLI is a fresh process per command, so the state of one balancer
// (group + bus) lives in a file that is locked from load to save
// (StateFile): every choice on a host happens as if one long-lived balancer
// made it. Outstanding counts belong to the caller, not to a policy, so
// `rpclb release GROUP NODE` needs no --algorithm.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "common/protocol.hpp"
#include "rpclb/error.hpp"

namespace rpclb::algorithms {

// Most selections of one node a caller can hold: counts stay far from
// overflow, even added to an agent's announced load.
inline constexpr std::int64_t kMaxOutstanding = std::int64_t{1} << 31;

class BalancerState {
 public:
  using Entries = std::map<std::string, std::int64_t, std::less<>>;

  std::int64_t counter(std::string_view name, std::int64_t fallback = 0) const;
  void set_counter(std::string_view name, std::int64_t value);

  std::int64_t outstanding(std::string_view node) const;
  void acquire(std::string_view node);
  void release(std::string_view node);  // never below zero
  // Only nodes with a non-zero count, in name order.
  const Entries& outstanding_by_node() const { return outstanding_; }

  // Drops what is remembered about nodes no longer in the group.
  void retain_only(std::span<const protocol::MemberInfo> group_members);

  bool changed() const { return generation_ != 0; }
  // Grows with every change, so a policy can tell whether an index it built
  // from this state is still current.
  std::uint64_t generation() const { return generation_; }

  // Text form, one entry per line: "counter NAME VALUE" or "node NAME COUNT".
  // Parsing is strict; callers treat a failure as "start afresh".
  std::string serialize() const;
  static Result<BalancerState> parse(std::string_view text);

 private:
  void put(Entries& entries, std::string_view key, std::int64_t value, bool drop_zero);

  Entries counters_;
  Entries outstanding_;
  std::uint64_t generation_ = 0;
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

// One file per balancer: the group and the bus it was discovered on.
std::string state_file_name(std::string_view group, std::string_view bus_identity);

}  // namespace rpclb::algorithms
