// rpclb through its C++ client library (the code the CLI runs), long-lived:
// cached membership, in-memory balancer state, one connection per member.
//
//   rpclb_bench latency BUS GROUP CALLS              sys.echo round trips, p50/p99 after warm-up
//   rpclb_bench throughput BUS GROUP CALLERS SECS    callers in threads, one call in flight each
//   rpclb_bench shared BUS GROUP CALLERS SECS        the same, the threads sharing one rpclb::Client
//   rpclb_bench async BUS GROUP IN_FLIGHT SECS       one rpclb::Client, call_async keeping IN_FLIGHT
//                                                    calls in flight (each completion submits the next)
//   rpclb_bench async-pool BUS GROUP IN_FLIGHT SECS  the same with `sys.sleep 0`, which the agent hands to
//                                                    its worker pool (sys.echo is answered on its loop)
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "bench/bench_stats.hpp"
#include "common/json_msgpack.hpp"
#include "lib/balancer.hpp"
#include "rpclb/payload_msgpack.hpp"
#include "rpclb/rpclb.hpp"

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

// Runs `callers` threads for `seconds`, each calling the function
// make_caller() gives it, one call at a time; prints calls/s.
template <typename MakeCaller>
int run_callers(const char* name, int callers, double seconds, MakeCaller make_caller) {
  std::atomic<long> total{0};
  std::atomic<long> failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&, call_once = make_caller()]() mutable {
      long calls = 0;
      while (!stop) {
        if (call_once()) {
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
  rpclb::bench::print_throughput(name, callers, total, seconds);
  return failed == 0 ? 0 : 1;
}

int throughput(const std::string& bus, const std::string& group, int callers, double seconds) {
  zmq::context_t context;
  return run_callers("rpclb", callers, seconds, [&] {
    return [balancer = make_balancer(bus, group, context)]() mutable { return echo_once(balancer); };
  });
}

rpclb::Client make_client(const std::string& bus, const std::string& group) {
  rpclb::ClientOptions options;
  options.bus = {bus};
  options.group = group;
  options.algorithm = "random";
  auto client = rpclb::Client::create(std::move(options));
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().message.c_str());
    std::exit(1);
  }
  return std::move(client).value();
}

const rpclb::Payload kPayload = rpclb::args(std::string("0123456789abcdef"));

int shared(const std::string& bus, const std::string& group, int callers, double seconds) {
  auto client = make_client(bus, group);
  return run_callers("rpclb-shared", callers, seconds,
                     [&] { return [&client] { return client.call("sys.echo", kPayload).ok(); }; });
}

// Keeps `in_flight` calls going: each completion (on the client's I/O
// thread) counts and submits the next, until told to stop.
// What a pipelined run calls.
struct Work {
  std::string function;
  rpclb::Payload arguments;
};

class Pipelined {
 public:
  Pipelined(rpclb::Client& client, Work work, int in_flight) : client_(client), work_(std::move(work)) {
    for (int i = 0; i < in_flight; ++i) next();
  }
  ~Pipelined() {
    stop_ = true;
    std::unique_lock lock(mutex_);
    all_ended_.wait(lock, [&] { return running_ == 0; });
  }
  long calls() const { return calls_; }
  long failed() const { return failed_; }
  void stop() { stop_ = true; }

 private:
  void next() {
    {
      std::lock_guard lock(mutex_);
      ++running_;
    }
    client_.call_async(work_.function, work_.arguments, {}, [this](rpclb::Result<rpclb::Reply> reply) {
      ++(reply ? calls_ : failed_);
      if (!stop_) next();
      std::lock_guard lock(mutex_);
      if (--running_ == 0) all_ended_.notify_all();
    });
  }

  rpclb::Client& client_;
  const Work work_;
  std::atomic<bool> stop_{false};
  std::atomic<long> calls_{0};
  std::atomic<long> failed_{0};
  std::mutex mutex_;
  std::condition_variable all_ended_;
  int running_ = 0;
};

int async(const std::string& bus, const std::string& group, const Work& work, int in_flight, double seconds) {
  auto client = make_client(bus, group);
  if (!client.call(work.function, work.arguments)) return 1;  // connect and learn the members first
  long calls = 0;
  long failed = 0;
  {
    Pipelined pipelined(client, work, in_flight);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    pipelined.stop();
    calls = pipelined.calls();
    failed = pipelined.failed();
  }
  rpclb::bench::print_throughput("rpclb-async", in_flight, calls, seconds);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "latency") return latency(args[1], args[2], std::atoi(args[3].c_str()));
  if (args.size() == 5 && args[0] == "throughput") {
    return throughput(args[1], args[2], std::atoi(args[3].c_str()), std::atof(args[4].c_str()));
  }
  if (args.size() == 5 && args[0] == "shared") {
    return shared(args[1], args[2], std::atoi(args[3].c_str()), std::atof(args[4].c_str()));
  }
  if (args.size() == 5 && (args[0] == "async" || args[0] == "async-pool")) {
    const Work work = args[0] == "async" ? Work{"sys.echo", kPayload} : Work{"sys.sleep", rpclb::args(0)};
    return async(args[1], args[2], work, std::atoi(args[3].c_str()), std::atof(args[4].c_str()));
  }
  std::fprintf(stderr,
               "usage: rpclb_bench latency BUS GROUP CALLS | throughput|shared BUS GROUP CALLERS SECS | "
               "async|async-pool BUS GROUP IN_FLIGHT SECS\n");
  return 2;
}
