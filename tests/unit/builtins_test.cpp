// The agent's built-in functions, run as the agent runs a call (run_call).
#include "agent/builtins.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace rpclb::agent {
namespace {

using namespace std::chrono_literals;

TEST(Builtins, EchoAnswersItsArgumentsByteForByte) {
  FunctionTable table;
  add_builtins(table, std::make_shared<AgentFacts>(), [] { return std::vector<MetricFamily>{}; });
  // [5, "abc"], the 5 as a uint 8 and the string as a str 8: not the shortest
  // forms, which packing the unpacked value again would have made of them.
  const std::string args(
      "\x92\xcc\x05\xd9\x03"
      "abc",
      8);
  protocol::CallRequest call;
  call.id = 9;
  call.function = "sys.echo";
  call.args_msgpack = args;
  const auto reply = run_call(table, protocol::CallView::of(call), std::chrono::steady_clock::now() + 1s, {});
  ASSERT_EQ(reply.kind, protocol::CallReply::Kind::result) << reply.error.message;
  EXPECT_EQ(reply.id, 9u);
  EXPECT_EQ(reply.value_msgpack, args);
}

}  // namespace
}  // namespace rpclb::agent
