// Calls math.add on a member of the group "math", chosen round-robin.
//
//   call_adder BUS A B            prints "A + B = SUM (on NODE)"
//
// Build against an installed librpclb:
//   c++ -std=c++20 call_adder.cpp $(pkg-config --cflags --libs rpclb) -o call_adder
#include <cstdio>
#include <cstdlib>
#include <string>

#include <rpclb/payload_msgpack.hpp>
#include <rpclb/rpclb.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: call_adder BUS A B\n");
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
  return 0;
}
