// Test harness: real rpclb-agent and rpclb processes on 127.0.0.1.
// Every process a test starts is owned by an RAII Process and is killed and
// reaped when the test ends, pass or fail.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Defined when built with AddressSanitizer, whose allocator keeps freed
// memory in a quarantine: a test of resident memory then has nothing to say.
#if defined(__SANITIZE_ADDRESS__)
#define RPCLB_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RPCLB_UNDER_ASAN 1
#endif
#endif

namespace rpclb::testing {

class Process {
 public:
  // stdin comes from, and stdout and stderr go to, the given files. It is
  // killed if the thread that started it ends first (PR_SET_PDEATHSIG): a
  // crashed or killed test leaves nothing running.
  Process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
          const std::filesystem::path& stdout_file, const std::filesystem::path& stderr_file,
          const std::filesystem::path& stdin_file = "/dev/null");
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // SIGKILL and reap if still running

  pid_t pid() const { return pid_; }
  void signal(int signal_number) const;
  // The exit code (128+N if killed by signal N), or nullopt if still running after `limit`.
  std::optional<int> wait_for(std::chrono::milliseconds limit);
  bool running();

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
  nlohmann::json json() const { return nlohmann::json::parse(out); }
  std::vector<std::string> lines() const;         // of out
  std::vector<std::string> lines_of_err() const;  // of err
};

// Whether process `pid` no longer runs: gone, or a zombie its parent has not
// reaped (a killed test process's children are reparented to an init that
// may never reap them). A process this user may not signal counts as running.
bool has_ended(pid_t pid);
// Removes the folders of test processes that have ended without removing
// them (killed, or crashed); the first Cluster of each test process does.
void remove_abandoned_folders();

// Three consecutive free loopback ports, for one bus hub; never the same
// twice, in this process or another test process running at the same time.
int free_port_triple();
// One such port: where an agent the harness starts serves calls.
int free_port();

// The path in the environment variable `variable` (RPCLB_AGENT_BIN,
// RPCLB_CLI_BIN: meson test sets them).
std::string binary(const char* variable);
std::string read_file(const std::filesystem::path& path);
// This process's environment without rpclb's variables, plus a state folder
// and configuration folders under `dir`: an rpclb a test starts sees only
// what the test gave it, never the machine's configuration.
std::vector<std::string> isolated_environment(const std::filesystem::path& dir);

// Writes `text` to `path`, creating its folder.
void write_file(const std::filesystem::path& path, const std::string& text);
// The samples of `family` in one member of `rpclb stats --json`, by the values
// of `labels` joined with spaces ("sys.echo call ok" for function, mode and
// code).
std::map<std::string, double> metric_samples(const nlohmann::json& member, const std::string& family,
                                             const std::vector<std::string>& labels);
// Resident memory of a process, in KiB, from /proc (-1 if unknown).
long resident_kib(pid_t pid);
// The most it has been resident since it started (VmHWM), in KiB; -1 if unknown.
long peak_resident_kib(pid_t pid);

// Members a, b and c of one group, and a bus hub: the setting most suites
// start from (Cluster::start_three).
struct ThreeMembers {
  std::string group = "web";
  // The hub in an agent of its own that is in no group ("hub"), so that any
  // member may be stopped or killed; otherwise a hosts it.
  bool hub_apart = false;
  std::vector<std::string> hub_flags;                  // the hub's own agent's, when apart
  std::vector<std::string> every_member;               // flags a, b and c all get
  std::vector<std::string> a_flags, b_flags, c_flags;  // each one's own, after those

  // For tests that kill or stop members: the hub apart, and a member stays
  // listed while silent (1000 missed heartbeats), so the bus still names a
  // dead one and callers must find out themselves.
  static ThreeMembers dead_stay_listed() {
    ThreeMembers three;
    three.hub_apart = true;
    three.hub_flags = {"--missed-heartbeats", "1000"};
    return three;
  }
};
struct ThreeStarted {
  Process* a = nullptr;
  Process* b = nullptr;
  Process* c = nullptr;
  bool listed = false;  // the bus listed all three in time
};

class Cluster {
 public:
  Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster();

  // Where hubs are, before the first is picked: "[::1]" for IPv6 loopback
  // (agents then listen there too, unless a test says otherwise).
  std::string hub_host = "127.0.0.1";
  std::string hub_endpoint(int index = 0);  // lazily picks ports for hub #index
  std::vector<std::string> bus_args();      // --bus for every hub picked so far

  // An agent announcing to every known hub; `extra` goes last on its command line.
  Process& start_agent(const std::string& name, const std::vector<std::string>& groups,
                       const std::vector<std::string>& extra = {});
  // An agent that also hosts hub #index.
  Process& start_hub_agent(int index, const std::string& name, const std::vector<std::string>& groups,
                           const std::vector<std::string>& extra = {});
  // Starts them (hub #0) and waits until the bus lists all three.
  ThreeStarted start_three(const ThreeMembers& three = {});

  // Runs `rpclb ARGS... --bus ...` and waits for it (killed after `limit`).
  CliResult rpclb(const std::vector<std::string>& args, std::chrono::milliseconds limit = std::chrono::seconds(30));
  // Starts rpclb without waiting.
  Process& rpclb_async(const std::vector<std::string>& args, const std::string& tag);
  CliResult collect(Process& process, const std::string& tag, std::chrono::milliseconds limit);

  std::vector<std::string> members(const std::string& group);
  // What an rpclb started with rpclb_async(args, tag) has printed so far.
  std::string output_so_far(const std::string& tag) const;
  // The same, one JSON value per line (`--watch --json`): a last line still
  // being written, which does not parse yet, is left out.
  std::vector<nlohmann::json> json_lines_so_far(const std::string& tag) const;
  // Polls `condition` every 20 ms for at most `limit`.
  static bool wait_until(const std::function<bool()>& condition,
                         std::chrono::milliseconds limit = std::chrono::seconds(10));
  bool wait_for_members(const std::string& group, std::vector<std::string> expected,
                        std::chrono::milliseconds limit = std::chrono::seconds(10));
  // Waits until the first member of `group` (in name order) announces `load` calls in flight.
  bool wait_for_load(const std::string& group, int load);

  const std::filesystem::path& dir() const { return dir_; }
  // Added to every rpclb command line (e.g. CURVE key flags).
  std::vector<std::string> client_args;
  // When false, rpclb gets no --bus flags and finds the bus itself (environment, config files).
  bool pass_bus_flags = true;
  // What rpclb reads on its standard input.
  std::filesystem::path cli_stdin = "/dev/null";
  // NAME=VALUE entries added to every process's environment.
  std::vector<std::string> extra_env;
  // Where rpclb looks for its per-user configuration file in this cluster.
  std::filesystem::path user_config() const { return dir_ / "config" / "rpclb" / "rpclb.conf"; }
  std::filesystem::path system_config() const { return dir_ / "config" / "system.conf"; }
  std::string agent_log(const std::string& name) const;

  static constexpr int kHeartbeatMs = 100;

  // rpclb-agent --name NAME ARGS... and nothing of the harness's (no --bus,
  // --listen or heartbeat added).
  Process& start_agent_exactly(const std::string& name, const std::vector<std::string>& args);

 private:
  Process& spawn_agent(const std::string& name, std::vector<std::string> argv);
  std::vector<std::string> environment() const;

  std::filesystem::path dir_;
  std::vector<std::string> hubs_;
  std::list<Process> processes_;
  int cli_runs_ = 0;
};

}  // namespace rpclb::testing
