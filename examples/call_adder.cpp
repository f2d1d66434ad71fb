// Calls math.add on a member of the group "math", chosen round-robin.
//
//   call_adder BUS A B            prints "A + B = SUM (on NODE)"
//   call_adder BUS A B COUNT      then A + 0 .. A + COUNT-1, all in flight at once
//                                 (call_async), and prints how many came back right
//
// Build against an installed librpclb:
//   c++ -std=c++20 call_adder.cpp $(pkg-config --cflags --libs rpclb) -o call_adder
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

#include <rpclb/payload_msgpack.hpp>
#include <rpclb/rpclb.hpp>

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: call_adder BUS A B [COUNT]\n");
    return 2;
  }
  rpclb::ClientOptions options;
  options.group = "math";
  options.bus = {argv[1]};
  options.algorithm = "round_robin";
  options.timeout = std::chrono::seconds(2);
  options.wait_for_member = std::chrono::seconds(1);
  auto client = rpclb::Client::create(options);

  const long a = std::strtol(argv[2], nullptr, 10);
  const long b = std::strtol(argv[3], nullptr, 10);
  auto reply = client ? client->call("math.add", rpclb::args(a, b)) : rpclb::Result<rpclb::Reply>(client.error());
  if (!reply) {
    std::fprintf(stderr, "call_adder: %s: %s\n", std::string(rpclb::to_string(reply.error().code)).c_str(),
                 reply.error().message.c_str());
    return rpclb::exit_code_for(reply.error().code);
  }
  auto sum = reply->value.as<long>();
  if (!sum) return 1;
  std::printf("%ld + %ld = %ld (on %s)\n", a, b, *sum, reply->node.name.c_str());
  if (argc == 4) return 0;

  // Many calls in flight over one connection per member; each future holds its own call's reply.
  const long count = std::strtol(argv[4], nullptr, 10);
  std::vector<std::future<rpclb::Result<rpclb::Reply>>> replies;
  for (long i = 0; i < count; ++i) replies.push_back(client->call_async("math.add", rpclb::args(a, i)));
  long right = 0;
  for (long i = 0; i < count; ++i) {
    auto each = replies[i].get();
    if (each && each->value.as<long>() && *each->value.as<long>() == a + i) ++right;
  }
  std::printf("%ld calls in flight: %ld right\n", count, right);
  return right == count ? 0 : 1;
}
