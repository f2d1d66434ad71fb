// MetricsServer: GET /metrics in Prometheus text format, on --metrics-listen.
//
// cpp-httplib (Debian's libcpp-httplib-dev) serves it on threads of its own,
// two at most: a scrape renders under AgentMetrics' lock and never touches
// the event loop. Requests are bounded (1 KiB, 5 s to arrive), so a slow or
// hostile client holds a thread for seconds, never the agent.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace rpclb::agent {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;

  // Binds `listen` (HOST:PORT, port 0 for any free one) now, throwing
  // std::runtime_error if it cannot, then serves until destroyed.
  MetricsServer(const std::string& listen, Render render);
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  ~MetricsServer();

  // http://HOST:PORT/metrics, with the port bound.
  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::string url_;
  std::atomic<bool> listening_ended_{false};
  std::thread thread_;
};

// HOST and PORT of "HOST:PORT" ("[v6]:PORT" too); nullopt if malformed.
struct HostPort {
  std::string host;
  int port = 0;
};
std::optional<HostPort> parse_host_port(const std::string& text);

}  // namespace rpclb::agent
