#include "agent/metrics_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <charconv>
#include <stdexcept>

namespace rpclb::agent {

std::optional<HostPort> parse_host_port(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  const auto port_text = std::string_view(text).substr(colon + 1);
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return std::nullopt;
  }
  return HostPort{std::move(host), port};
}

MetricsServer::MetricsServer(const std::string& listen, Render render) : server_(std::make_unique<httplib::Server>()) {
  auto address = parse_host_port(listen);
  if (!address) throw std::runtime_error("--metrics-listen must be HOST:PORT, got '" + listen + "'");
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  // cpp-httplib's default is SO_REUSEPORT, with which a second agent given
  // the same address binds it too and scrapes land on either, unnoticed.
  // SO_REUSEADDR alone still lets a restarted agent bind at once.
  server_->set_socket_options([](socket_t socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  server_->set_payload_max_length(1024);
  server_->set_keep_alive_max_count(100);
  server_->Get("/metrics", [render = std::move(render)](const httplib::Request&, httplib::Response& response) {
    response.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  int port = address->port;
  if (port == 0) {
    port = server_->bind_to_any_port(address->host);
  } else if (!server_->bind_to_port(address->host, port)) {
    port = -1;
  }
  if (port < 0) throw std::runtime_error("cannot listen for metrics on " + listen);
  const bool v6 = address->host.find(':') != std::string::npos;
  url_ = "http://" + (v6 ? "[" + address->host + "]" : address->host) + ":" + std::to_string(port) + "/metrics";
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listening_ended_ = true;
  });
  // stop() does nothing to a server that has not started listening, so the
  // destructor could wait forever: return once it has.
  while (!server_->is_running() && !listening_ended_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace rpclb::agent
