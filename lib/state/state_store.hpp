// StateStore: where one balancer's BalancerState lives, and the one way to
// change it.
//
//   shared_file  a file per balancer (group + bus) that every rpclb process
//                on this host uses: the CLI is a fresh process per command,
//                so every choice on a host happens as if one long-lived
//                balancer made it
//   in_memory    this process only (a library Client that does not share)
//
// update() runs one change with the state locked (file: flock from load to
// save), so an operation locks at most once.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lib/state/balancer_state.hpp"
#include "rpclb/error.hpp"

namespace rpclb::state {

class StateStore {
 public:
  static StateStore shared_file(std::string_view group, std::string_view bus_identity);
  static StateStore in_memory();

  // Runs `change` on the locked state and saves it if it changed; a failed
  // change saves nothing. Waits for another process's lock until `deadline`
  // at the latest: past it, request_timeout (see StateFile::open).
  using Change = std::function<Status(BalancerState&)>;
  using Deadline = std::chrono::steady_clock::time_point;
  Status update(const Change& change, Deadline deadline = Deadline::max());

 private:
  StateStore() = default;
  std::optional<std::string> file_name_;  // shared_file: inside state_directory()
  BalancerState memory_;                  // in_memory
};

// An open, exclusively locked state file. The lock is released (and the file
// closed) on destruction, so at most one process is ever between load() and
// save() for a balancer.
class StateFile {
 public:
  // Opens (creating if needed) and locks `path`; waits for other holders up to
  // `lock_timeout_ms` (then internal: the holder is stuck), and never past
  // `deadline` (then request_timeout: the caller's time is up).
  static Result<StateFile> open(const std::filesystem::path& path, int lock_timeout_ms = 2000,
                                StateStore::Deadline deadline = StateStore::Deadline::max());
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

}  // namespace rpclb::state
