// Simulates a large cluster on one bus hub: announces COUNT fake members of
// GROUP every second for SECONDS, as that many agents would.
//
//   fake_members HUB_ENDPOINT GROUP COUNT SECONDS
#include <zmq.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/endpoint.hpp"
#include "common/protocol.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: fake_members HUB_ENDPOINT GROUP COUNT SECONDS\n");
    return 2;
  }
  auto address = rpclb::bus_address(argv[1]);
  if (!address) return 2;
  const std::string group = argv[2];
  const int count = std::atoi(argv[3]);
  const int seconds = std::atoi(argv[4]);

  zmq::context_t context;
  zmq::socket_t publisher(context, zmq::socket_type::xpub);
  publisher.set(zmq::sockopt::linger, 0);
  publisher.set(zmq::sockopt::sndhwm, count * 2);
  publisher.connect(address->announce);
  zmq::message_t subscription;
  (void)publisher.recv(subscription);  // the hub has subscribed: nothing announced is lost

  std::vector<std::string> frames;
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "fake-%05d", i);
    frames.push_back(rpclb::protocol::encode(
        rpclb::protocol::Announce{{name, "fake", "tcp://127.0.0.1:9", {group}, 1, 0, 1000, "fake"}}));
  }
  const auto start = std::chrono::steady_clock::now();
  for (int second = 0; second < seconds; ++second) {
    for (const auto& frame : frames) publisher.send(zmq::buffer(frame), zmq::send_flags::none);
    std::this_thread::sleep_until(start + std::chrono::seconds(second + 1));
  }
  return 0;
}
