// SocketMonitor never blocks libzmq's I/O thread: not when nobody reads its
// events for a long while, and not while it is torn down with events still
// coming. Either mistake stalls every socket of the context for good, so each
// scenario runs in a child process that the test waits for with a bound.
#include "common/socket_monitor.hpp"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/zmq_helpers.hpp"
#include "tests/unit/bounded_child.hpp"

namespace {

// How long a stop of a monitor (zmq_socket_monitor with no address) waits
// before it happens, as if its thread were preempted there: set in a
// scenario's child only. Interposed on libzmq's function for this binary.
std::atomic<int> stop_delay_ms{0};

}  // namespace

extern "C" int zmq_socket_monitor(void* socket, const char* address, int events) {
  using Real = int (*)(void*, const char*, int);
  static const auto real = reinterpret_cast<Real>(::dlsym(RTLD_NEXT, "zmq_socket_monitor"));
  if (address == nullptr && stop_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(stop_delay_ms));
  return real(socket, address, events);
}

namespace rpclb {
namespace {

using namespace std::chrono_literals;

// A port on 127.0.0.1 with nothing listening: taken from the OS, then freed.
std::string refused_endpoint(zmq::context_t& context) {
  auto socket = make_socket(context, zmq::socket_type::router);
  socket.bind("tcp://127.0.0.1:*");
  auto endpoint = socket.get(zmq::sockopt::last_endpoint);
  socket.close();
  return endpoint;
}

// A socket that keeps failing to connect, as fast as libzmq retries: a few
// thousand events a second for its monitor.
zmq::socket_t churning_socket(zmq::context_t& context) {
  auto socket = make_socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::reconnect_ivl, 1);
  for (int i = 0; i < 16; ++i) socket.connect(refused_endpoint(context));
  return socket;
}

// Whether a request and its reply still cross TCP on `context` (its one I/O
// thread), within a second each way.
bool context_still_moves_messages(zmq::context_t& context) {
  auto server = make_socket(context, zmq::socket_type::rep);
  server.bind("tcp://127.0.0.1:*");
  auto client = make_socket(context, zmq::socket_type::req);
  client.set(zmq::sockopt::rcvtimeo, 1000);
  server.set(zmq::sockopt::rcvtimeo, 1000);
  client.connect(server.get(zmq::sockopt::last_endpoint));
  zmq::message_t message;
  if (!client.send(zmq::str_buffer("ping"), zmq::send_flags::dontwait)) return false;
  if (!server.recv(message)) return false;
  server.send(zmq::str_buffer("pong"));
  return client.recv(message).has_value();
}

constexpr int kEvents = ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_CLOSED;

TEST(SocketMonitor, EventsNobodyReadsNeverStallTheContext) {
  const int status = testing::run_bounded(
      [] {
        zmq::context_t context;
        auto socket = churning_socket(context);
        SocketMonitor monitor(context, socket, kEvents);
        // Far more events than the default high-water mark holds, none read.
        std::this_thread::sleep_for(1500ms);
        if (!monitor.next()) return 2;  // the scenario made no events at all
        return context_still_moves_messages(context) ? 0 : 1;
      },
      20s);
  EXPECT_EQ(status, 0) << "1: the context's I/O thread stalled; -1: the child hung";
}

TEST(SocketMonitor, ItsOwnerTearsItDownWhileEventsKeepComing) {
  const int status = testing::run_bounded(
      [] {
        // The owner is preempted just before it stops the monitor: events
        // keep coming meanwhile, and must still have a reader to go to.
        stop_delay_ms = 50;
        zmq::context_t context;
        auto socket = churning_socket(context);
        for (int round = 0; round < 20; ++round) {
          SocketMonitor monitor(context, socket, kEvents);
          std::this_thread::sleep_for(1ms);
          monitor.next();
        }
        return context_still_moves_messages(context) ? 0 : 1;
      },
      20s);
  EXPECT_EQ(status, 0) << "1: the context's I/O thread stalled; -1: the child hung";
}

}  // namespace
}  // namespace rpclb
