// rpclb::Agent: an rpclb agent inside a C++ service, serving the service's
// own functions in-process next to the sys.* built-ins, the way an Elixir
// node exposes its modules. The rpclb-agent daemon is this class plus a
// command line.
//
//   auto agent = rpclb::Agent::create({.name = "adder-1", .groups = {"math"}});
//   agent->handle("math.add", [](const rpclb::Request& request) -> rpclb::Result<rpclb::Payload> {
//     auto [a, b] = *request.args.as<std::tuple<int, int>>();
//     return rpclb::Payload::of(a + b);
//   });
//   agent->start();  // serving on a background thread until stop() or destruction
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "rpclb/agent_defaults.hpp"
#include "rpclb/error.hpp"
#include "rpclb/payload.hpp"

namespace rpclb {

struct AgentOptions {
  std::string name;                 // unique on the bus; empty: the host name
  std::vector<std::string> groups;  // load balancers to join
  // Where to serve calls (* = any free port). Empty: tcp://127.0.0.1:*
  // (tcp://[::1]:* beside an IPv6 hub) when every hub is on this host, else
  // tcp://*:*, every interface of both families (README "Addressing").
  std::string listen;
  // The endpoint announced to callers. Empty: the bound one, a wildcard host
  // replaced by the address this host's route to a hub on another host
  // leaves from. Never a loopback endpoint when a hub is on another host.
  std::string advertise;
  // Hubs to announce to; empty: $RPCLB_BUS, else serve_bus, else tcp://127.0.0.1:7400.
  std::vector<std::string> bus;
  std::optional<std::string> serve_bus;  // also host a hub here (ports P..P+2)
  std::uint32_t weight = 1;
  std::string functions_file;  // allowlisted programs (see README), optional
  std::chrono::milliseconds heartbeat{1000};
  std::uint32_t missed_heartbeats = 3;  // for a hosted hub: members silent this long are dropped
  std::uint32_t workers = 16;           // threads running handlers
  std::uint32_t max_queue = 1024;       // calls in flight beyond this are refused (service_unavailable)
  // The memory budget for calls: bytes of requests read and not answered,
  // and of replies not yet written to their caller. A request that does not
  // fit, or whose connection holds its fair share, is refused
  // (service_unavailable, "at capacity"), nothing run.
  std::uint64_t max_inflight_bytes = kDefaultMaxInflightBytes;
  std::chrono::milliseconds drain_timeout{15000};
  std::string log_level = "warn";  // error, warn, info or debug; lines go to stderr
  // CURVE: the cluster keypair file and the folder of authorised client
  // public keys; both or neither.
  std::string curve_secret_file;
  std::string curve_authorized_dir;
  // HOST:PORT to serve GET /metrics on (Prometheus text; port 0: any free
  // one, logged as event=metrics_serving); empty: no metrics server.
  std::string metrics_listen;
  // Where the host's CPU use and load average are read (stat, loadavg):
  // a container that mounts the host's procfs elsewhere points here.
  std::string procfs = "/proc";
};

// One call to a handler.
struct Request {
  std::string function;
  Payload args;  // always an array
  std::chrono::steady_clock::time_point deadline;
  std::stop_token stop;  // requested when the agent gives up on in-flight calls
};

// What an agent tells whoever supervises it, on the agent's own thread
// (rpclb-agent tells systemd, Type=notify). Each is optional.
struct AgentLifecycle {
  // Bound, announced to the bus, answering calls at `endpoint`.
  std::function<void(const std::string& endpoint)> serving;
  // Asked to stop: it has left the bus and finishes the calls in flight.
  std::function<void()> draining;
  // Told every `alive_interval` (if positive) by the agent's event loop
  // itself, from serving to the end of its drain: a loop that hangs stops
  // telling, so a supervisor's watchdog can restart it.
  std::function<void()> alive;
  std::chrono::milliseconds alive_interval{0};
};

// Runs on one of the agent's worker threads. Returning an Error sends it to
// the caller as is; an exception becomes `internal` with its message.
using Handler = std::function<Result<Payload>(const Request& request)>;

class Agent {
 public:
  // Checks every option and loads the functions file and keys; bad_request
  // says which is wrong. Binds nothing yet.
  static Result<Agent> create(AgentOptions options);

  Agent(Agent&&) noexcept;
  Agent& operator=(Agent&&) noexcept;
  ~Agent();  // stop()

  // Serves `function` (MODULE.FUNCTION, not sys.*) with `handler`. Before
  // start() only; bad_request for a bad or taken name.
  Status handle(std::string function, Handler handler);
  // Binds, joins the groups and serves on a background thread; returns once
  // callers can reach it (service_unavailable if it cannot bind).
  Status start();
  // The endpoint announced to callers; empty before start().
  std::string endpoint() const;
  // Leaves the bus, refuses new calls, lets in-flight ones finish (up to
  // drain_timeout) and returns when the agent is gone. Safe from any thread
  // but a handler's, any number of times: every caller returns once the
  // agent is gone. (docs/threads.md: which thread runs what.)
  void stop();
  // For a program's main(): serves on the calling thread until SIGTERM or
  // SIGINT, then drains (a second signal skips the drain). Call it before
  // starting any other thread: it blocks those signals so that only the
  // agent receives them.
  Status run_until_signal();
  // The same, telling `lifecycle` when it serves and when it drains.
  Status run_until_signal(const AgentLifecycle& lifecycle);

 private:
  struct State;
  explicit Agent(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace rpclb
