#include "algorithms/balancer_state.hpp"

#include "common/fnv1a.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <thread>

namespace rpclb::algorithms {
namespace {

// Keys are node names and policies' counter names; anything that would break
// the line format is never stored (put) and refused when read back (parse).
bool is_storable_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') return false;
  }
  return true;
}

std::string system_error(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

std::int64_t BalancerState::counter(std::string_view name, std::int64_t fallback) const {
  auto found = counters_.find(name);
  return found == counters_.end() ? fallback : found->second;
}

void BalancerState::set_counter(std::string_view name, std::int64_t value) {
  put(counters_, name, value, false);
}

std::int64_t BalancerState::outstanding(std::string_view node) const {
  auto found = outstanding_.find(node);
  return found == outstanding_.end() ? 0 : found->second;
}

void BalancerState::acquire(std::string_view node) {
  put(outstanding_, node, std::min(outstanding(node) + 1, kMaxOutstanding), true);
}

void BalancerState::release(std::string_view node) {
  const auto count = outstanding(node);
  if (count > 0) put(outstanding_, node, count - 1, true);
}

void BalancerState::put(Entries& entries, std::string_view key, std::int64_t value, bool drop_zero) {
  if (!is_storable_key(key)) return;
  auto found = entries.find(key);
  if (drop_zero && value == 0) {
    // Zero counts are not stored: the map holds only nodes with something outstanding.
    if (found == entries.end()) return;
    entries.erase(found);
  } else if (found == entries.end()) {
    entries.emplace(std::string(key), value);
  } else if (found->second == value) {
    return;
  } else {
    found->second = value;
  }
  ++generation_;
}

void BalancerState::retain_only(std::span<const protocol::MemberInfo> group_members) {
  // Members arrive ordered by name, so membership is a binary search.
  std::erase_if(outstanding_, [&](const auto& entry) {
    auto at = std::lower_bound(group_members.begin(), group_members.end(), entry.first,
                               [](const protocol::MemberInfo& m, const std::string& name) { return m.name < name; });
    const bool gone = at == group_members.end() || at->name != entry.first;
    if (gone) ++generation_;
    return gone;
  });
}

std::string BalancerState::serialize() const {
  std::string out = "rpclb-state 2\n";
  auto write = [&](std::string_view kind, const Entries& entries) {
    for (const auto& [key, value] : entries) {
      out += kind;
      out += ' ';
      out += key;
      out += ' ';
      out += std::to_string(value);
      out += '\n';
    }
  };
  write("counter", counters_);
  write("node", outstanding_);
  return out;
}

Result<BalancerState> BalancerState::parse(std::string_view text) {
  BalancerState state;
  if (text.empty()) return state;
  constexpr std::string_view kHeader = "rpclb-state 2\n";
  if (!text.starts_with(kHeader)) return make_error(ErrorCode::internal, "state file has no valid header");
  text.remove_prefix(kHeader.size());
  while (!text.empty()) {
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) return make_error(ErrorCode::internal, "state file is truncated");
    auto line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    const auto first = line.find(' ');
    const auto last = line.rfind(' ');
    if (first == std::string_view::npos || first == last)
      return make_error(ErrorCode::internal, "state line is malformed");
    const auto kind = line.substr(0, first);
    const auto key = line.substr(first + 1, last - first - 1);
    const auto number = line.substr(last + 1);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size() || !is_storable_key(key)) {
      return make_error(ErrorCode::internal, "state line is malformed");
    }
    if (kind == "counter") {
      state.counters_[std::string(key)] = value;
    } else if (kind == "node" && value > 0) {
      // A count past the cap was written by hand or by something else: no
      // caller could hold that many; cap it rather than overflow later.
      state.outstanding_[std::string(key)] = std::min(value, kMaxOutstanding);
    } else if (kind != "node") {
      return make_error(ErrorCode::internal, "state line has an unknown kind");
    }
  }
  return state;
}

Result<StateFile> StateFile::open(const std::filesystem::path& path, int lock_timeout_ms) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return make_error(ErrorCode::internal, system_error("cannot open state file " + path.string()));
  StateFile file(fd);
  // Poll the lock rather than block on it, so a stuck holder cannot hang us.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(lock_timeout_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return make_error(ErrorCode::internal, system_error("cannot lock state file " + path.string()));
    }
    if (std::chrono::steady_clock::now() >= give_up) {
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

}  // namespace rpclb::algorithms
