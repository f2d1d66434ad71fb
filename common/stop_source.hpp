// StopSource: what tells a running loop to stop, as a file descriptor the loop
// polls beside its sockets; it calls take() when fd() is readable. An agent's
// first stop starts its drain (leave the bus, refuse new calls, finish
// in-flight ones) and a second one exits at once; `rpclb members --watch`
// ends at the first.
//
//   SignalFd     SIGTERM/SIGINT (and SIGHUP), for rpclb-agent and `rpclb members --watch`
//   StopRequest  Agent::stop() from another thread, for an embedded agent
#pragma once

#include <string>
#include <string_view>

#include "common/event_fd.hpp"

namespace rpclb {

// What take() says for SIGHUP: reload the configuration, do not stop.
inline constexpr std::string_view kReloadSignal = "SIGHUP";

class StopSource {
 public:
  virtual ~StopSource() = default;
  virtual int fd() const = 0;
  // Why the agent is asked to stop ("SIGTERM", "stop requested"), or "" if
  // nothing is pending.
  virtual std::string take() = 0;
  // The loop has stopped and its owner is tearing down. A source that stands
  // for the process's signals makes the next one end the process at once,
  // since nothing reads them any more.
  virtual void tearing_down() {}
};

// A stop asked for by another thread; safe to call request() from any thread.
class StopRequest final : public StopSource {
 public:
  void request() { wake_.signal(); }
  int fd() const override { return wake_.fd(); }
  std::string take() override;

 private:
  EventFd wake_;
};

}  // namespace rpclb
