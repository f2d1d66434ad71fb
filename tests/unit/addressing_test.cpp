// Which endpoint an agent listens on and announces, for both address
// families (agent/addressing.hpp). Cases that need a route to another host
// are in tests/multihost/.
#include "agent/addressing.hpp"

#include <gtest/gtest.h>

namespace rpclb::agent {
namespace {

TEST(Addressing, LoopbackFollowsTheFamilyOfTheHub) {
  auto six = plan_addressing("", "", {"tcp://[::1]:7400"}, "");
  ASSERT_TRUE(six.ok()) << six.error().message;
  EXPECT_EQ(six->listen, "tcp://[::1]:*");
  EXPECT_EQ(advertised_endpoint(*six, "", "tcp://[::1]:40000"), "tcp://[::1]:40000");
  // Told to listen on every interface, it still announces the hub's loopback.
  auto every = plan_addressing("tcp://*:*", "", {}, "tcp://[::1]:7400");
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(advertised_endpoint(*every, "", "tcp://[::]:40000"), "tcp://[::1]:40000");

  auto four = plan_addressing("", "", {"tcp://127.0.0.1:7400"}, "");
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->listen, "tcp://127.0.0.1:*");
  EXPECT_EQ(advertised_endpoint(*four, "", "tcp://0.0.0.0:40000"), "tcp://127.0.0.1:40000");
}

TEST(Addressing, AnIpv6HubElsewhereGetsEveryInterfaceOfBothFamilies) {
  auto plan = plan_addressing("", "tcp://[fd00:77::2]:5000", {"tcp://[fd00:77::1]:7400"}, "");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->listen, "tcp://*:*");
  EXPECT_EQ(advertised_endpoint(*plan, "tcp://[fd00:77::2]:5000", "tcp://[::]:40000"), "tcp://[fd00:77::2]:5000");
  // A wildcard bound endpoint takes the planned host, in brackets as given.
  const Addressing routed{"tcp://*:*", "[fd00:77::2]"};
  EXPECT_EQ(advertised_endpoint(routed, "", "tcp://[::]:40000"), "tcp://[fd00:77::2]:40000");
  EXPECT_EQ(advertised_endpoint(routed, "", "tcp://0.0.0.0:40000"), "tcp://[fd00:77::2]:40000");
}

TEST(Addressing, Ipv6LoopbackIsNeverAnnouncedToAHubElsewhere) {
  const std::vector<std::string> remote{"tcp://[fd00:77::1]:7400"};
  for (const auto* advertise : {"tcp://[::1]:5000", "tcp://[::ffff:127.0.0.1]:5000", "tcp://localhost:5000"}) {
    auto plan = plan_addressing("", advertise, remote, "");
    ASSERT_FALSE(plan.ok()) << advertise;
    EXPECT_EQ(plan.error().code, ErrorCode::bad_request);
    EXPECT_NE(plan.error().message.find("is a loopback endpoint"), std::string::npos) << plan.error().message;
  }
  auto listen = plan_addressing("tcp://[::1]:*", "", remote, "");
  ASSERT_FALSE(listen.ok());
  EXPECT_NE(listen.error().message.find("is on loopback only"), std::string::npos) << listen.error().message;
  // A hub served on [::] is one other hosts use, too.
  auto served = plan_addressing("tcp://[::1]:*", "", {"tcp://[::1]:7400"}, "tcp://[::]:7400");
  ASSERT_FALSE(served.ok());
  EXPECT_NE(served.error().message.find("is on loopback only"), std::string::npos) << served.error().message;
}

}  // namespace
}  // namespace rpclb::agent
