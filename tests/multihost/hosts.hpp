// Hosts for multi-host tests, simulated on this machine: one network
// namespace per host, each with one link (a veth pair) to a bridge that sits
// in a namespace of its own, the switch. Addresses (10.77.0.N/24, or for
// IPv6 alone fd00:77::N/64, unique local) exist only inside those
// namespaces, and nothing is changed in the namespace the tests run in, so no
// test traffic can leave them.
//
// Faults are made the way real networks fail: a link detached from the
// switch (silence both ways, no error anywhere), a blackhole route on one
// host (it alone cannot reach another), a neighbour entry pointing at a
// hardware address nobody has (its packets vanish).
//
// Every process started here is killed, and every namespace removed, when
// the Hosts object goes, pass or fail; processes also die with the test
// process (parent-death signal), and namespaces left by a test process that
// was killed are removed by the next one.
#pragma once

#include <chrono>
#include <filesystem>
#include <list>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {

// Why network namespaces cannot be made here (not root, no iproute2): tests skip.
struct HostsUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Hosts {
 public:
  // ipv6: the links have IPv6 addresses only, and loopback has no 127.0.0.1
  // either: a network with no IPv4 at all.
  enum class Family { ipv4, ipv6 };
  explicit Hosts(int count, Family family = Family::ipv4);
  Hosts(const Hosts&) = delete;
  Hosts& operator=(const Hosts&) = delete;
  ~Hosts();

  // 10.77.0.(host + 1), or [fd00:77::(host + 1)]: as an endpoint's host.
  std::string address(int host) const;
  // tcp://ADDRESS:7400 on `host`.
  std::string hub(int host) const;

  // rpclb-agent ARGS... inside `host`, logging to agent_log(name).
  Process& start_agent(int host, const std::string& name, const std::vector<std::string>& args);
  std::string agent_log(const std::string& name) const;
  // rpclb ARGS... inside `host`, waited for (killed after `limit`).
  CliResult rpclb(int host, const std::vector<std::string>& args,
                  std::chrono::milliseconds limit = std::chrono::seconds(30));

  // The host's link is taken off the switch, and put back.
  void cut(int host);
  void heal(int host);
  // `from` can no longer reach `to` (and only `from`): a blackhole route, or
  // a neighbour entry for `to` that points at nobody. undo() removes both.
  void blackhole(int from, int to);
  void dead_neighbour(int from, int to);
  void undo(int from, int to);

 private:
  void remove_everything();
  std::string ns(int host) const;
  std::string bare_address(int host) const;  // without brackets
  std::string host_route(int host) const;    // bare_address/32 or /128
  std::string run_ip(const std::vector<std::string>& args);

  Family family_;
  std::string prefix_;  // rpclbmh-PID-N-: every namespace's name starts with it
  std::filesystem::path dir_;
  std::vector<std::string> made_;  // namespaces, in the order they were made
  std::list<Process> processes_;
  int runs_ = 0;
};

}  // namespace rpclb::testing
