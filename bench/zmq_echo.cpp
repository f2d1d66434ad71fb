// The floor: a bare cppzmq echo, the same transport and payload as rpclb's.
//
//   zmq_echo server ENDPOINT                   ROUTER echo (answers REQ and DEALER alike)
//   zmq_echo latency ENDPOINT CALLS            REQ round trips, p50/p99 after warm-up
//   zmq_echo throughput ENDPOINT CALLERS SECS  DEALER callers, one request in flight each
//   zmq_echo pipelined ENDPOINT IN_FLIGHT SECS one DEALER keeping IN_FLIGHT requests in flight
//   zmq_echo oneshot ENDPOINT                  context, connect, one round trip, exit
//   zmq_echo empty                             nothing: the cost of starting a program linking libzmq
#include <zmq.hpp>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_stats.hpp"

namespace {

using rpclb::bench::Clock;
const std::string kPayload = "0123456789abcdef";

int serve(const std::string& endpoint) {
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.bind(endpoint);
  std::vector<zmq::message_t> parts;
  while (true) {
    parts.clear();
    do {
      parts.emplace_back();
      if (!router.recv(parts.back())) return 0;
    } while (parts.back().more());
    for (std::size_t i = 0; i < parts.size(); ++i) {
      router.send(parts[i], i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
}

int latency(const std::string& endpoint, int calls) {
  zmq::context_t context;
  zmq::socket_t req(context, zmq::socket_type::req);
  req.connect(endpoint);
  std::vector<double> micros;
  zmq::message_t reply;
  for (int i = 0; i < calls + calls / 10; ++i) {
    const auto start = Clock::now();
    req.send(zmq::buffer(kPayload), zmq::send_flags::none);
    (void)req.recv(reply);
    if (i >= calls / 10) micros.push_back(rpclb::bench::micros_since(start));  // first 10%: warm-up
  }
  rpclb::bench::print_latency("zmq_echo", micros);
  return 0;
}

int throughput(const std::string& endpoint, int callers, double seconds) {
  zmq::context_t context;
  std::atomic<long> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&] {
      zmq::socket_t dealer(context, zmq::socket_type::dealer);
      dealer.connect(endpoint);
      zmq::message_t delimiter, body;
      long calls = 0;
      while (!stop) {
        dealer.send(zmq::message_t(), zmq::send_flags::sndmore);
        dealer.send(zmq::buffer(kPayload), zmq::send_flags::none);
        (void)dealer.recv(delimiter);
        (void)dealer.recv(body);
        ++calls;
      }
      total += calls;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& thread : threads) thread.join();
  rpclb::bench::print_throughput("zmq_echo", callers, total, seconds);
  return 0;
}

// The floor for an asynchronous client: one connection, many requests
// outstanding, a new one sent as each reply arrives.
int pipelined(const std::string& endpoint, int in_flight, double seconds) {
  zmq::context_t context;
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.connect(endpoint);
  auto send_one = [&] {
    dealer.send(zmq::message_t(), zmq::send_flags::sndmore);
    dealer.send(zmq::buffer(kPayload), zmq::send_flags::none);
  };
  for (int i = 0; i < in_flight; ++i) send_one();
  zmq::message_t delimiter, body;
  long calls = 0;
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    (void)dealer.recv(delimiter);
    (void)dealer.recv(body);
    ++calls;
    send_one();
  }
  rpclb::bench::print_throughput("zmq_echo_pipelined", in_flight, calls, seconds);
  return 0;
}

int oneshot(const std::string& endpoint) {
  zmq::context_t context;
  zmq::socket_t req(context, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.connect(endpoint);
  req.send(zmq::buffer(kPayload), zmq::send_flags::none);
  zmq::message_t reply;
  return req.recv(reply) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "server") return serve(args[1]);
  if (args.size() == 3 && args[0] == "latency") return latency(args[1], std::atoi(args[2].c_str()));
  if (args.size() == 4 && args[0] == "throughput") {
    return throughput(args[1], std::atoi(args[2].c_str()), std::atof(args[3].c_str()));
  }
  if (args.size() == 4 && args[0] == "pipelined") {
    return pipelined(args[1], std::atoi(args[2].c_str()), std::atof(args[3].c_str()));
  }
  if (args.size() == 2 && args[0] == "oneshot") return oneshot(args[1]);
  if (args.size() == 1 && args[0] == "empty") {
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);  // keeps libzmq linked
    return major > 0 ? 0 : 1;
  }
  std::fprintf(stderr, "usage: zmq_echo server|latency|throughput|pipelined|oneshot ENDPOINT ... | empty\n");
  return 2;
}
