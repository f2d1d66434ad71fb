#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace rpclb::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool port_is_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

// In the child: tells the parent why it could not become the program.
[[noreturn]] void fail(int report_fd) {
  const int error = errno;
  [[maybe_unused]] const auto written = ::write(report_fd, &error, sizeof error);
  ::_exit(127);
}

// In the child, between fork and exec: only async-signal-safe calls (the
// test process has other threads, whose locks the child inherits held).
[[noreturn]] void become(const char* program, char* const* argv, char* const* env, const char* const files[3],
                         pid_t parent, int report_fd) {
  // The child dies with the test process, pass, fail or crash: an agent a
  // killed or crashed test started does not serve on for ever. (It is the
  // thread that started it whose end sends the signal: tests start their
  // processes from the thread that owns them.)
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(report_fd);
  if (::getppid() != parent) ::_exit(127);  // the test process has gone already
  const int modes[3] = {O_RDONLY, O_WRONLY | O_CREAT | O_TRUNC, O_WRONLY | O_CREAT | O_TRUNC};
  for (int fd = 0; fd < 3; ++fd) {
    const int opened = ::open(files[fd], modes[fd] | O_CLOEXEC, 0600);
    if (opened < 0) fail(report_fd);
    if (opened == fd) {
      if (::fcntl(fd, F_SETFD, 0) != 0) fail(report_fd);  // kept across exec
    } else {
      if (::dup2(opened, fd) < 0) fail(report_fd);  // dup2's copy is kept across exec
      ::close(opened);
    }
  }
  // Default signal handling, whatever the suite inherited: a suite started in
  // the background by a shell ignores SIGINT, and so would every agent and
  // rpclb a test interrupts.
  struct sigaction by_default {};
  by_default.sa_handler = SIG_DFL;
  for (int signal_number : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE})
    ::sigaction(signal_number, &by_default, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(program, argv, env);
  fail(report_fd);
}

}  // namespace

Process::Process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                 const std::filesystem::path& stdout_file, const std::filesystem::path& stderr_file,
                 const std::filesystem::path& stdin_file) {
  // Everything the child needs is made before fork: it may not allocate.
  std::vector<char*> raw_argv;
  for (const auto& arg : argv) raw_argv.push_back(const_cast<char*>(arg.c_str()));
  raw_argv.push_back(nullptr);
  std::vector<char*> raw_env;
  for (const auto& entry : env) raw_env.push_back(const_cast<char*>(entry.c_str()));
  raw_env.push_back(nullptr);
  const char* const files[3] = {stdin_file.c_str(), stdout_file.c_str(), stderr_file.c_str()};
  // The child writes exec's errno here; a successful exec closes it unwritten.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("cannot start " + argv[0] + ": no pipe");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) become(argv[0].c_str(), raw_argv.data(), raw_env.data(), files, parent, report[1]);
  ::close(report[1]);
  int error = 0;
  ssize_t got = -1;
  if (pid_ > 0) {
    do {
      got = ::read(report[0], &error, sizeof error);
    } while (got < 0 && errno == EINTR);
  }
  ::close(report[0]);
  if (pid_ < 0) throw std::runtime_error("cannot start " + argv[0] + ": fork failed");
  if (got > 0) {
    wait_for(std::chrono::seconds(10));
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
  }
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_for(std::chrono::seconds(10));
  }
}

void Process::signal(int signal_number) const {
  if (!exit_code_) ::kill(pid_, signal_number);
}

bool Process::running() {
  return !wait_for(std::chrono::milliseconds(0)).has_value();
}

std::optional<int> Process::wait_for(std::chrono::milliseconds limit) {
  const auto give_up = Clock::now() + limit;
  while (!exit_code_) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (Clock::now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return exit_code_;
}

namespace {

std::vector<std::string> lines_in(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

std::vector<std::string> CliResult::lines() const {
  return lines_in(out);
}

std::map<std::string, double> metric_samples(const nlohmann::json& member, const std::string& family,
                                             const std::vector<std::string>& labels) {
  std::map<std::string, double> out;
  for (const auto& metrics : member["metrics"]) {
    if (metrics["name"] != family) continue;
    for (const auto& sample : metrics["samples"]) {
      std::string key;
      for (const auto& label : labels) key += (key.empty() ? "" : " ") + sample["labels"][label].get<std::string>();
      out[key] = sample["value"].get<double>();
    }
  }
  return out;
}

std::vector<std::string> CliResult::lines_of_err() const {
  return lines_in(err);
}

std::string binary(const char* variable) {
  const char* path = std::getenv(variable);
  if (!path || !*path) throw std::runtime_error(std::string(variable) + " is not set (run through meson test)");
  return path;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> isolated_environment(const std::filesystem::path& dir) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text(*entry);
    if (text.starts_with("RPCLB_") || text.starts_with("XDG_CONFIG_HOME=")) continue;
    env.push_back(text);
  }
  env.push_back("RPCLB_STATE_DIR=" + (dir / "state").string());
  // Configuration files come from the test's own folder only, never the machine's.
  env.push_back("XDG_CONFIG_HOME=" + (dir / "config").string());
  env.push_back("RPCLB_SYSTEM_CONFIG=" + (dir / "config" / "system.conf").string());
  return env;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

namespace {

long status_kib(pid_t pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field)) return std::stol(line.substr(field.size()));
  }
  return -1;
}

}  // namespace

long resident_kib(pid_t pid) {
  return status_kib(pid, "VmRSS:");
}

long peak_resident_kib(pid_t pid) {
  return status_kib(pid, "VmHWM:");
}

namespace {

// Ports for hubs and agents, race-free between integration-test processes
// running in parallel. A hub needs three consecutive ports, so the OS cannot
// pick them; and a port the OS picked for an agent may be picked again for
// another process's agent the moment the first is killed. Instead each
// process claims a block of ports below the kernel's ephemeral range (where
// no OS-picked port can land) by holding a lock on the block's file for its
// lifetime, and hands out the block's ports in order, never one twice. The
// bind probe only skips ports something outside the suite already uses.
class TestPorts {
 public:
  // The first of `count` consecutive ports, all free now.
  int next(int count) {
    for (int attempt = 0; attempt < 2 * kBlockSize; ++attempt) {
      if (next_ + count > block_end_) claim_block();
      const int base = next_;
      next_ += count;
      bool free = true;
      for (int port = base; free && port < base + count; ++port) free = port_is_free(port);
      if (free) return base;
    }
    throw std::runtime_error("no free loopback ports in this process's blocks");
  }

 private:
  static constexpr int kFirstPort = 10000;
  static constexpr int kBlockSize = 300;

  static int ephemeral_low() {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int low = 32768;
    range >> low;
    return low;
  }

  void claim_block() {
    const auto dir = std::filesystem::temp_directory_path() / "rpclb-test-ports";
    std::filesystem::create_directories(dir);
    const int blocks = (ephemeral_low() - kFirstPort) / kBlockSize;
    for (int block = next_block_; block < blocks; ++block) {
      const auto path = dir / ("block-" + std::to_string(block));
      const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
      if (fd < 0) continue;
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        continue;
      }
      held_.push_back(fd);  // closed, and so released, when the process exits
      next_block_ = block + 1;
      next_ = kFirstPort + block * kBlockSize;
      block_end_ = next_ + kBlockSize;
      return;
    }
    throw std::runtime_error("every test port block is held by another test process");
  }

  std::vector<int> held_;
  int next_block_ = 0;
  int next_ = 0;
  int block_end_ = 0;
};

TestPorts& test_ports() {
  static TestPorts ports;
  return ports;
}

}  // namespace

int free_port_triple() {
  return test_ports().next(3);
}

int free_port() {
  return test_ports().next(1);
}

namespace {

constexpr std::string_view kFolderPrefix = "rpclb-it-";  // then the test process's pid, "-", a count

}  // namespace

bool has_ended(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  stat >> pid_field >> name >> state;  // the names rpclb tests start have no spaces
  return state == "Z" || state == "X";
}

void remove_abandoned_folders() {
  std::error_code error;
  const auto temp = std::filesystem::temp_directory_path(error);
  if (error) return;
  for (std::filesystem::directory_iterator it(temp, error), end; !error && it != end; it.increment(error)) {
    const auto name = it->path().filename().string();
    if (!name.starts_with(kFolderPrefix)) continue;
    const int pid = std::atoi(name.c_str() + kFolderPrefix.size());
    if (pid <= 0 || !has_ended(pid)) continue;
    std::error_code ignored;
    std::filesystem::remove_all(it->path(), ignored);
  }
}

Cluster::Cluster() {
  static int counter = 0;
  [[maybe_unused]] static const bool swept = (remove_abandoned_folders(), true);
  dir_ = std::filesystem::temp_directory_path() /
         (std::string(kFolderPrefix) + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir_ / "state");
  std::filesystem::permissions(dir_ / "state", std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
}

Cluster::~Cluster() {
  processes_.clear();  // kills and reaps everything still running
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string Cluster::hub_endpoint(int index) {
  while (static_cast<int>(hubs_.size()) <= index) {
    hubs_.push_back("tcp://" + hub_host + ":" + std::to_string(free_port_triple()));
  }
  return hubs_[static_cast<std::size_t>(index)];
}

std::vector<std::string> Cluster::bus_args() {
  if (hubs_.empty()) hub_endpoint(0);
  std::vector<std::string> args;
  for (const auto& hub : hubs_) {
    args.push_back("--bus");
    args.push_back(hub);
  }
  return args;
}

std::vector<std::string> Cluster::environment() const {
  auto env = isolated_environment(dir_);
  // extra_env overrides: a later NAME=VALUE replaces an earlier one (getenv takes the first).
  for (const auto& entry : extra_env) {
    const auto name = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& existing) { return existing.starts_with(name); });
    env.push_back(entry);
  }
  return env;
}

Process& Cluster::spawn_agent(const std::string& name, std::vector<std::string> argv) {
  return processes_.emplace_back(argv, environment(), dir_ / (name + ".out"), dir_ / (name + ".log"));
}

Process& Cluster::start_agent(const std::string& name, const std::vector<std::string>& groups,
                              const std::vector<std::string>& extra) {
  std::vector<std::string> argv{binary("RPCLB_AGENT_BIN"), "--name", name};
  // Fast heartbeats, on loopback at a free port: unless the test chose otherwise.
  const auto chosen = [&](const char* option) { return std::find(extra.begin(), extra.end(), option) != extra.end(); };
  if (!chosen("--heartbeat-ms")) argv.insert(argv.end(), {"--heartbeat-ms", std::to_string(kHeartbeatMs)});
  if (!chosen("--listen")) {
    // A port of this process's own (free_port), not one the kernel picks:
    // a killed agent's port, picked again at once for another test
    // process's agent, would answer its callers "meant for someone else"
    // where the test expects a refused connection.
    argv.insert(argv.end(), {"--listen", "tcp://" + hub_host + ":" + std::to_string(free_port())});
  }
  for (const auto& group : groups) {
    argv.push_back("--group");
    argv.push_back(group);
  }
  for (const auto& arg : bus_args()) argv.push_back(arg);
  argv.insert(argv.end(), extra.begin(), extra.end());
  return spawn_agent(name, argv);
}

Process& Cluster::start_agent_exactly(const std::string& name, const std::vector<std::string>& args) {
  std::vector<std::string> argv{binary("RPCLB_AGENT_BIN"), "--name", name};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn_agent(name, argv);
}

Process& Cluster::start_hub_agent(int index, const std::string& name, const std::vector<std::string>& groups,
                                  const std::vector<std::string>& extra) {
  std::vector<std::string> with_hub{"--serve-bus", hub_endpoint(index)};
  with_hub.insert(with_hub.end(), extra.begin(), extra.end());
  return start_agent(name, groups, with_hub);
}

ThreeStarted Cluster::start_three(const ThreeMembers& three) {
  const auto flags = [&](const std::vector<std::string>& own) {
    auto all = three.every_member;
    all.insert(all.end(), own.begin(), own.end());
    return all;
  };
  ThreeStarted started;
  if (three.hub_apart) {
    start_hub_agent(0, "hub", {}, three.hub_flags);
    started.a = &start_agent("a", {three.group}, flags(three.a_flags));
  } else {
    started.a = &start_hub_agent(0, "a", {three.group}, flags(three.a_flags));
  }
  started.b = &start_agent("b", {three.group}, flags(three.b_flags));
  started.c = &start_agent("c", {three.group}, flags(three.c_flags));
  started.listed = wait_for_members(three.group, {"a", "b", "c"});
  return started;
}

Process& Cluster::rpclb_async(const std::vector<std::string>& args, const std::string& tag) {
  std::vector<std::string> argv{binary("RPCLB_CLI_BIN")};
  argv.insert(argv.end(), args.begin(), args.end());
  // Options after "--" would be taken as call arguments.
  const auto separator = std::find(argv.begin(), argv.end(), "--");
  auto bus = pass_bus_flags ? bus_args() : std::vector<std::string>{};
  bus.insert(bus.end(), client_args.begin(), client_args.end());
  argv.insert(separator, bus.begin(), bus.end());
  return processes_.emplace_back(argv, environment(), dir_ / (tag + ".out"), dir_ / (tag + ".err"), cli_stdin);
}

CliResult Cluster::collect(Process& process, const std::string& tag, std::chrono::milliseconds limit) {
  const auto started = Clock::now();
  CliResult result;
  auto code = process.wait_for(limit);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  result.exit_code = code.value_or(-1);  // -1: hung past the limit (then killed by ~Process)
  result.out = read_file(dir_ / (tag + ".out"));
  result.err = read_file(dir_ / (tag + ".err"));
  return result;
}

CliResult Cluster::rpclb(const std::vector<std::string>& args, std::chrono::milliseconds limit) {
  const std::string tag = "cli-" + std::to_string(cli_runs_++);
  const auto started = Clock::now();
  auto& process = rpclb_async(args, tag);
  auto result = collect(process, tag, limit);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  processes_.remove_if([&](const Process& p) { return &p == &process; });
  return result;
}

std::vector<std::string> Cluster::members(const std::string& group) {
  auto result = rpclb({"members", group});
  if (result.exit_code == 0) return result.lines();
  // No members yet (4), or no hub yet (7). Anything else is a failure of its own.
  if (result.exit_code != 4 && result.exit_code != 7)
    ADD_FAILURE() << "rpclb members " << group << " exited " << result.exit_code << ": " << result.err;
  return {};
}

bool Cluster::wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto give_up = Clock::now() + limit;
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool Cluster::wait_for_members(const std::string& group, std::vector<std::string> expected,
                               std::chrono::milliseconds limit) {
  std::sort(expected.begin(), expected.end());
  return wait_until([&] { return members(group) == expected; }, limit);
}

bool Cluster::wait_for_load(const std::string& group, int load) {
  return wait_until([&] {
    auto listed = rpclb({"members", group, "--json"});
    return listed.exit_code == 0 && listed.json()[0]["load"] == load;
  });
}

std::string Cluster::output_so_far(const std::string& tag) const {
  return read_file(dir_ / (tag + ".out"));
}

std::vector<nlohmann::json> Cluster::json_lines_so_far(const std::string& tag) const {
  std::vector<nlohmann::json> values;
  std::istringstream lines(output_so_far(tag));
  for (std::string line; std::getline(lines, line);) {
    auto value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!value.is_discarded()) values.push_back(std::move(value));
  }
  return values;
}

std::string Cluster::agent_log(const std::string& name) const {
  return read_file(dir_ / (name + ".log"));
}

}  // namespace rpclb::testing
