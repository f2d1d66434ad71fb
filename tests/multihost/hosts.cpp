#include "tests/multihost/hosts.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace rpclb::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kIp = "/usr/sbin/ip";
constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kPrefix = "rpclbmh-";

// Runs ARGV to completion; its exit code and what it printed on stderr.
std::pair<int, std::string> run(const std::vector<std::string>& argv, const std::filesystem::path& dir) {
  const auto out = dir / "command.out";
  const auto err = dir / "command.err";
  Process process(argv, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, out, err);
  const auto code = process.wait_for(std::chrono::seconds(20)).value_or(-1);
  return {code, read_file(err)};
}

// Namespaces named by a test process that no longer exists (killed before it
// could clean up): their processes are killed and the namespaces removed.
void remove_orphans(const std::filesystem::path& dir) {
  run({kIp, "netns", "list"}, dir);
  std::istringstream lines(read_file(dir / "command.out"));
  for (std::string line; std::getline(lines, line);) {
    const auto name = line.substr(0, line.find(' '));
    if (!name.starts_with(kPrefix)) continue;
    const auto pid = std::atoi(name.c_str() + std::string_view(kPrefix).size());
    if (pid <= 0 || !has_ended(pid)) continue;
    run({kIp, "netns", "pids", name}, dir);
    std::istringstream pids(read_file(dir / "command.out"));
    for (int inside = 0; pids >> inside;) ::kill(inside, SIGKILL);
    run({kIp, "netns", "del", name}, dir);
  }
}

}  // namespace

Hosts::Hosts(int count, Family family) : family_(family) {
  if (::geteuid() != 0) {
    throw HostsUnavailable("network namespaces need root; running as uid " + std::to_string(::geteuid()));
  }
  if (::access(kIp, X_OK) != 0 || ::access(kSetpriv, X_OK) != 0) {
    throw HostsUnavailable(std::string("needs ") + kIp + " (iproute2) and " + kSetpriv + " (util-linux)");
  }
  static int made = 0;
  const auto id = std::to_string(::getpid()) + "-" + std::to_string(made++);
  prefix_ = std::string(kPrefix) + id + "-";
  dir_ = std::filesystem::temp_directory_path() / ("rpclb-mh-" + id);
  std::filesystem::create_directories(dir_);
  try {
    remove_orphans(dir_);
    // The switch: a namespace holding only the bridge and the hosts' links.
    const auto sw = prefix_ + "switch";
    if (auto [code, err] = run({kIp, "netns", "add", sw}, dir_); code != 0) {
      throw HostsUnavailable("cannot make a network namespace: " + err);
    }
    made_.push_back(sw);
    run_ip({"-n", sw, "link", "add", "br0", "type", "bridge"});
    run_ip({"-n", sw, "link", "set", "br0", "up"});
    for (int host = 0; host < count; ++host) {
      run_ip({"netns", "add", ns(host)});
      made_.push_back(ns(host));
      const auto port = "p" + std::to_string(host);
      run_ip({"-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns(host)});
      run_ip({"-n", sw, "link", "set", port, "master", "br0", "up"});
      if (family_ == Family::ipv6) {
        // nodad: usable at once, not after duplicate address detection.
        run_ip({"-n", ns(host), "-6", "addr", "add", bare_address(host) + "/64", "dev", "eth0", "nodad"});
      } else {
        run_ip({"-n", ns(host), "addr", "add", bare_address(host) + "/24", "dev", "eth0"});
      }
      run_ip({"-n", ns(host), "link", "set", "eth0", "up"});
      run_ip({"-n", ns(host), "link", "set", "lo", "up"});
      if (family_ == Family::ipv6) run_ip({"-n", ns(host), "addr", "del", "127.0.0.1/8", "dev", "lo"});
      std::filesystem::create_directories(dir_ / ns(host) / "state");
    }
  } catch (...) {
    remove_everything();
    throw;
  }
}

Hosts::~Hosts() {
  remove_everything();
}

void Hosts::remove_everything() {
  processes_.clear();  // kills and reaps every agent and command
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) run({kIp, "netns", "del", *it}, dir_);
  made_.clear();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string Hosts::ns(int host) const {
  return prefix_ + "h" + std::to_string(host);
}

std::string Hosts::bare_address(int host) const {
  return (family_ == Family::ipv6 ? "fd00:77::" : "10.77.0.") + std::to_string(host + 1);
}

std::string Hosts::address(int host) const {
  return family_ == Family::ipv6 ? "[" + bare_address(host) + "]" : bare_address(host);
}

std::string Hosts::host_route(int host) const {
  return bare_address(host) + (family_ == Family::ipv6 ? "/128" : "/32");
}

std::string Hosts::hub(int host) const {
  return "tcp://" + address(host) + ":7400";
}

std::string Hosts::run_ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{kIp};
  argv.insert(argv.end(), args.begin(), args.end());
  auto [code, err] = run(argv, dir_);
  if (code != 0) {
    std::string command;
    for (const auto& arg : argv) command += arg + " ";
    throw std::runtime_error(command + "failed: " + err);
  }
  return err;
}

Process& Hosts::start_agent(int host, const std::string& name, const std::vector<std::string>& args) {
  // ip netns exec and setpriv each exec the next: the agent keeps this pid,
  // so signals reach it, and it is killed if the test process dies.
  std::vector<std::string> argv{
      kIp, "netns", "exec", ns(host), kSetpriv, "--pdeathsig", "KILL", "--", binary("RPCLB_AGENT_BIN"), "--name", name};
  argv.insert(argv.end(), args.begin(), args.end());
  return processes_.emplace_back(argv, isolated_environment(dir_ / ns(host)), dir_ / (name + ".out"),
                                 dir_ / (name + ".log"));
}

std::string Hosts::agent_log(const std::string& name) const {
  return read_file(dir_ / (name + ".log"));
}

CliResult Hosts::rpclb(int host, const std::vector<std::string>& args, std::chrono::milliseconds limit) {
  const auto tag = "cli-" + std::to_string(runs_++);
  std::vector<std::string> argv{
      kIp, "netns", "exec", ns(host), kSetpriv, "--pdeathsig", "KILL", "--", binary("RPCLB_CLI_BIN")};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto started = Clock::now();
  auto& process = processes_.emplace_back(argv, isolated_environment(dir_ / ns(host)), dir_ / (tag + ".out"),
                                          dir_ / (tag + ".err"));
  CliResult result;
  result.exit_code = process.wait_for(limit).value_or(-1);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  result.out = read_file(dir_ / (tag + ".out"));
  result.err = read_file(dir_ / (tag + ".err"));
  processes_.remove_if([&](const Process& p) { return &p == &process; });
  std::filesystem::remove(dir_ / (tag + ".out"));
  std::filesystem::remove(dir_ / (tag + ".err"));
  return result;
}

void Hosts::cut(int host) {
  run_ip({"-n", prefix_ + "switch", "link", "set", "p" + std::to_string(host), "nomaster"});
}

void Hosts::heal(int host) {
  run_ip({"-n", prefix_ + "switch", "link", "set", "p" + std::to_string(host), "master", "br0"});
}

void Hosts::blackhole(int from, int to) {
  run_ip({"-n", ns(from), "route", "add", "blackhole", host_route(to)});
}

void Hosts::dead_neighbour(int from, int to) {
  run_ip({"-n", ns(from), "neigh", "replace", bare_address(to), "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud",
          "permanent"});
}

void Hosts::undo(int from, int to) {
  run({kIp, "-n", ns(from), "route", "del", "blackhole", host_route(to)}, dir_);
  run({kIp, "-n", ns(from), "neigh", "del", bare_address(to), "dev", "eth0"}, dir_);
}

}  // namespace rpclb::testing
