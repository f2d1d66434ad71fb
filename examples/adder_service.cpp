// A C++ service that embeds an rpclb agent and serves its own function,
// math.add, to the group "math" until SIGTERM or SIGINT.
//
//   adder_service BUS [NAME]      e.g. adder_service tcp://127.0.0.1:7400 adder-1
//
// Build against an installed librpclb:
//   c++ -std=c++20 adder_service.cpp $(pkg-config --cflags --libs rpclb) -o adder_service
#include <signal.h>

#include <cstdio>
#include <string>
#include <tuple>

#include <rpclb/payload_msgpack.hpp>
#include <rpclb/rpclb.hpp>

namespace {

rpclb::Result<rpclb::Payload> add(const rpclb::Request& request) {
  auto operands = request.args.as<std::tuple<long, long>>();
  if (!operands) return rpclb::Error{rpclb::ErrorCode::bad_request, "math.add takes two integers"};
  const auto [a, b] = *operands;
  return rpclb::Payload::of(a + b);
}

int fail(const char* what, const rpclb::Error& error) {
  std::fprintf(stderr, "adder_service: %s: %s: %s\n", what, std::string(rpclb::to_string(error.code)).c_str(),
               error.message.c_str());
  return rpclb::exit_code_for(error.code);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: adder_service BUS [NAME]\n");
    return 2;
  }
  // Before the agent starts its threads, so that only sigwait() below sees these.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  rpclb::AgentOptions options;
  options.name = argc > 2 ? argv[2] : "adder";
  options.groups = {"math"};
  options.bus = {argv[1]};
  options.heartbeat = std::chrono::milliseconds(200);
  auto agent = rpclb::Agent::create(options);
  if (!agent) return fail("options", agent.error());
  if (auto added = agent->handle("math.add", add); !added) return fail("math.add", added.error());
  if (auto started = agent->start(); !started) return fail("start", started.error());
  std::printf("%s serving math.add at %s\n", options.name.c_str(), agent->endpoint().c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  agent->stop();  // leaves the group, finishes calls in flight
  std::printf("%s stopped\n", options.name.c_str());
  return 0;
}
