#include "agent/program_runner.hpp"

#include "common/fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

extern char** environ;

namespace rpclb::agent {
namespace {

struct Pipe {
  Fd read_end;
  Fd write_end;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return make_error(ErrorCode::internal, std::string("pipe: ") + std::strerror(errno));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// Kills and reaps the child (and its process group) unless it was reaped already.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    wait();
  }
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return decode(status);
  }
  // The exit code if the child has exited, without blocking.
  std::optional<int> try_wait() {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    return decode(status);
  }
  void kill_group() { ::kill(-pid_, SIGKILL); }

 private:
  static int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
  }
  pid_t pid_;
};

// Spawn attributes and file actions, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

Result<ProgramOutcome> run_program(const std::vector<std::string>& argv, const ProgramLimits& limits,
                                   std::stop_token stop, std::optional<std::string_view> input) {
  if (argv.empty()) return make_error(ErrorCode::internal, "empty argv");
  auto out_pipe = make_pipe();
  auto err_pipe = make_pipe();
  if (!out_pipe) return out_pipe.error();
  if (!err_pipe) return err_pipe.error();
  std::optional<Pipe> in_pipe;
  if (input) {
    auto made = make_pipe();
    if (!made) return made.error();
    in_pipe = std::move(made).value();
  }

  SpawnSetup setup;
  if (in_pipe) {
    posix_spawn_file_actions_adddup2(&setup.actions, in_pipe->read_end.get(), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&setup.actions, out_pipe->write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err_pipe->write_end.get(), STDERR_FILENO);
  // Own process group, so a timeout kills the program's children too; default
  // signal mask, because the agent blocks SIGTERM/SIGINT for its signalfd.
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  posix_spawnattr_setsigmask(&setup.attributes, &empty_mask);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&setup.attributes, &defaults);
  posix_spawnattr_setpgroup(&setup.attributes, 0);
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> raw_argv;
  for (const auto& arg : argv) raw_argv.push_back(const_cast<char*>(arg.c_str()));
  raw_argv.push_back(nullptr);

  pid_t pid = 0;
  const int spawn_error =
      ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes, raw_argv.data(), environ);
  if (spawn_error != 0) {
    return make_error(ErrorCode::internal, "cannot start " + argv[0] + ": " + std::strerror(spawn_error));
  }
  ChildProcess child(pid);
  out_pipe->write_end.reset();
  err_pipe->write_end.reset();
  // The input is written as the program reads it, beside reading its
  // output, so neither side waits on a full pipe; a program that exits
  // without reading it all closes the pipe (EPIPE: SIGPIPE is ignored).
  std::string_view unwritten = input.value_or(std::string_view());
  Fd to_program;
  if (in_pipe) {
    in_pipe->read_end.reset();
    to_program = std::move(in_pipe->write_end);
    ::fcntl(to_program.get(), F_SETFL, ::fcntl(to_program.get(), F_GETFL) | O_NONBLOCK);
    if (unwritten.empty()) to_program.reset();
  }

  ProgramOutcome outcome;
  std::array<std::string*, 2> sinks{&outcome.stdout_text, &outcome.stderr_text};
  std::array<pollfd, 3> fds{{{out_pipe->read_end.get(), POLLIN, 0},
                             {err_pipe->read_end.get(), POLLIN, 0},
                             {to_program.get() >= 0 ? to_program.get() : -1, POLLOUT, 0}}};
  std::array<char, 16384> buffer{};
  int open_streams = 2;
  while (open_streams > 0) {
    if (stop.stop_requested()) return make_error(ErrorCode::internal, "interrupted: the agent shut down");
    const auto now = std::chrono::steady_clock::now();
    if (now >= limits.deadline) {
      child.kill_group();
      return make_error(ErrorCode::request_timeout, argv[0] + " ran past its time limit and was killed");
    }
    // Short slices so a stop request is noticed promptly.
    const auto wait = std::min<std::int64_t>(
        50, std::chrono::duration_cast<std::chrono::milliseconds>(limits.deadline - now).count() + 1);
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait));
    if (ready < 0 && errno != EINTR) return make_error(ErrorCode::internal, "poll failed");
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const auto n = ::write(fds[2].fd, unwritten.data(), std::min<std::size_t>(unwritten.size(), 65536));
      if (n > 0) unwritten.remove_prefix(static_cast<std::size_t>(n));
      if (unwritten.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        to_program.reset();  // end of input, or the program closed its stdin
        fds[2].fd = -1;
      }
    }
    for (std::size_t i = 0; i < sinks.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const auto n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        const auto room = limits.max_output_bytes - std::min(limits.max_output_bytes, sinks[i]->size());
        const auto keep = std::min(room, static_cast<std::size_t>(n));
        sinks[i]->append(buffer.data(), keep);
        // Keep draining past the cap so the program never blocks on a full pipe.
        if (keep < static_cast<std::size_t>(n)) outcome.truncated = true;
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  // Output is closed; the program may still linger, so the limit applies here too.
  while (true) {
    if (auto code = child.try_wait()) {
      outcome.exit_code = *code;
      return outcome;
    }
    if (stop.stop_requested()) return make_error(ErrorCode::internal, "interrupted: the agent shut down");
    if (std::chrono::steady_clock::now() >= limits.deadline) {
      return make_error(ErrorCode::request_timeout, argv[0] + " ran past its time limit and was killed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace rpclb::agent
