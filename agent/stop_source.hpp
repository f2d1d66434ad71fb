// StopSource: what tells a running agent to stop. The event loop polls fd()
// and calls take() when it is readable: the first stop starts the drain
// (leave the bus, refuse new calls, finish in-flight ones), a second one
// exits at once.
//
//   SignalFd     SIGTERM/SIGINT, for the rpclb-agent daemon
//   StopRequest  Agent::stop() from another thread, for an embedded agent
#pragma once

#include <string>

namespace rpclb::agent {

class StopSource {
 public:
  virtual ~StopSource() = default;
  virtual int fd() const = 0;
  // Why the agent is asked to stop ("SIGTERM", "stop requested"), or "" if
  // nothing is pending.
  virtual std::string take() = 0;
};

// An eventfd another thread writes to; safe to call request() from any thread.
class StopRequest final : public StopSource {
 public:
  StopRequest();
  StopRequest(const StopRequest&) = delete;
  StopRequest& operator=(const StopRequest&) = delete;
  ~StopRequest() override;

  void request();
  int fd() const override { return fd_; }
  std::string take() override;

 private:
  int fd_ = -1;
};

}  // namespace rpclb::agent
