#include "lib/state/state_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "common/fnv1a.hpp"

namespace rpclb::state {
namespace {

std::string system_error(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

StateStore StateStore::shared_file(std::string_view group, std::string_view bus_identity) {
  StateStore store;
  store.file_name_ = state_file_name(group, bus_identity);
  return store;
}

StateStore StateStore::in_memory() {
  return StateStore();
}

Status StateStore::update(const Change& change, Deadline deadline) {
  if (!file_name_) return change(memory_);
  auto dir = state_directory();
  if (!dir) return dir.error();
  auto file = StateFile::open(*dir / *file_name_, 2000, deadline);
  if (!file) return file.error();
  auto state = file->load();
  if (auto changed = change(state); !changed) return changed;
  if (!state.changed()) return {};
  return file->save(state);
}

Result<StateFile> StateFile::open(const std::filesystem::path& path, int lock_timeout_ms,
                                  StateStore::Deadline deadline) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return make_error(ErrorCode::internal, system_error("cannot open state file " + path.string()));
  StateFile file(fd);
  // Poll the lock rather than block on it, so a stuck holder cannot hang us.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(lock_timeout_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return make_error(ErrorCode::internal, system_error("cannot lock state file " + path.string()));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return make_error(ErrorCode::request_timeout,
                        "the deadline passed while state file " + path.string() + " stayed locked by another process");
    }
    if (now >= give_up) {
      return make_error(ErrorCode::internal, "state file " + path.string() + " stayed locked by another process");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return file;
}

StateFile::StateFile(StateFile&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

StateFile& StateFile::operator=(StateFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

StateFile::~StateFile() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

BalancerState StateFile::load() const {
  std::string text;
  char buffer[4096];
  off_t offset = 0;
  while (true) {
    const auto n = ::pread(fd_, buffer, sizeof buffer, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return {};
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  auto parsed = BalancerState::parse(text);
  return parsed ? std::move(parsed).value() : BalancerState{};
}

Status StateFile::save(const BalancerState& state) const {
  const std::string text = state.serialize();
  if (::ftruncate(fd_, 0) != 0) return make_error(ErrorCode::internal, system_error("cannot truncate state file"));
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = ::pwrite(fd_, text.data() + written, text.size() - written, static_cast<off_t>(written));
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::internal, system_error("cannot write state file"));
    }
    written += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::filesystem::path> state_directory() {
  std::filesystem::path dir;
  if (const char* explicit_dir = std::getenv("RPCLB_STATE_DIR"); explicit_dir && *explicit_dir) {
    dir = explicit_dir;
  } else if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) {
    dir = std::filesystem::path(runtime) / "rpclb";
  } else {
    dir = std::filesystem::path("/tmp") / ("rpclb-" + std::to_string(::getuid()));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::internal, system_error("cannot create state folder " + dir.string()));
  }
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return make_error(ErrorCode::internal, "state folder " + dir.string() + " is not a folder");
  }
  if (info.st_uid != ::getuid()) {
    return make_error(ErrorCode::internal, "state folder " + dir.string() + " belongs to another user");
  }
  return dir;
}

std::string state_file_name(std::string_view group, std::string_view bus_identity) {
  std::string safe_group;
  for (char c : group) {
    const bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    safe_group += plain ? c : '_';
  }
  // The hash keeps look-alike groups ("a/b" vs "a_b") and different clusters
  // apart. It is FNV-1a, not std::hash, so that every build of rpclb on a
  // host (and the library in any program) finds the same file.
  std::ostringstream name;
  name << safe_group << '.' << std::hex << Fnv1a().add(group).add("\n").add(bus_identity).value() << ".state";
  return name.str();
}

}  // namespace rpclb::state
