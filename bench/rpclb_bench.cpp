// rpclb through its C++ client library (the code the CLI runs), long-lived:
// cached membership, in-memory balancer state, one connection per member.
//
//   rpclb_bench latency BUS GROUP CALLS              sys.echo round trips, p50/p99 after warm-up
//   rpclb_bench throughput BUS GROUP CALLERS SECS    callers in threads, one call in flight each
#include <atomic>
#include <cstdlib>
#include <thread>

#include "bench/bench_stats.hpp"
#include "common/json_msgpack.hpp"
#include "lib/balancer.hpp"

namespace {

using rpclb::bench::Clock;

rpclb::Balancer make_balancer(const std::string& bus, const std::string& group, zmq::context_t& context) {
  rpclb::BalancerOptions options;
  options.bus = {bus};
  options.group = group;
  options.algorithm = "random";
  options.membership_refresh = std::chrono::seconds(1);
  options.shared_state = false;
  options.context = &context;
  auto balancer = rpclb::Balancer::create(std::move(options));
  if (!balancer) {
    std::fprintf(stderr, "%s\n", balancer.error().message.c_str());
    std::exit(1);
  }
  return std::move(balancer).value();
}

const std::string kArgs = rpclb::json_to_msgpack(nlohmann::json::array({"0123456789abcdef"}));

bool echo_once(rpclb::Balancer& balancer) {
  auto outcome =
      balancer.call("sys.echo", kArgs, rpclb::protocol::CallMode::call, Clock::now() + std::chrono::seconds(5));
  return outcome.ok();
}

int latency(const std::string& bus, const std::string& group, int calls) {
  zmq::context_t context;
  auto balancer = make_balancer(bus, group, context);
  std::vector<double> micros;
  for (int i = 0; i < calls + calls / 10; ++i) {
    const auto start = Clock::now();
    if (!echo_once(balancer)) return 1;
    if (i >= calls / 10) micros.push_back(rpclb::bench::micros_since(start));  // first 10%: warm-up
  }
  rpclb::bench::print_latency("rpclb", micros);
  return 0;
}

int throughput(const std::string& bus, const std::string& group, int callers, double seconds) {
  zmq::context_t context;
  std::atomic<long> total{0};
  std::atomic<long> failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&] {
      auto balancer = make_balancer(bus, group, context);
      long calls = 0;
      while (!stop) {
        if (echo_once(balancer)) {
          ++calls;
        } else {
          ++failed;
        }
      }
      total += calls;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& thread : threads) thread.join();
  rpclb::bench::print_throughput("rpclb", callers, total, seconds);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "latency") return latency(args[1], args[2], std::atoi(args[3].c_str()));
  if (args.size() == 5 && args[0] == "throughput") {
    return throughput(args[1], args[2], std::atoi(args[3].c_str()), std::atof(args[4].c_str()));
  }
  std::fprintf(stderr, "usage: rpclb_bench latency BUS GROUP CALLS | throughput BUS GROUP CALLERS SECS\n");
  return 2;
}
