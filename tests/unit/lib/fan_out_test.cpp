#include <gtest/gtest.h>

#include "lib/fan_out.hpp"
#include "tests/unit/lib/fake_parts.hpp"

namespace rpclb {
namespace {

using testing::FakeBus;
using testing::FakeTransport;
using testing::make_parts;
using testing::members;
using testing::names;
using testing::PartsSettings;

FanOut request(const std::string& function = "m.f") {
  FanOut out;
  out.function = function;
  out.args_msgpack = "\x90";
  out.transport.deadline = Clock::now() + std::chrono::seconds(5);
  return out;
}

ExchangeEach exchange(FakeTransport& transport) {
  return [&transport](const std::vector<Member>& asked, const FanOut&, const OnExchanged& on_exchanged,
                      const FanOutWatch&) {
    for (std::size_t i = 0; i < asked.size(); ++i) on_exchanged(i, Exchanged{transport.answer(asked[i].name), {}});
    return true;
  };
}

TEST(FanOutRounds, AChosenMemberThatCouldNotTakeItIsReplacedAndTheCallerTold) {
  for (int run = 0; run < 6; ++run) {
    FakeBus bus{members({"a", "b", "c"})};
    auto parts = make_parts(bus);
    FakeTransport transport;
    transport.answers.emplace("a", Error{ErrorCode::service_unavailable, "refused"});
    auto done = fan_out(parts, 2, request(), exchange(transport));
    ASSERT_TRUE(done.ok()) << done.error().message;
    const auto asked_a = std::count(transport.asked.begin(), transport.asked.end(), "a") == 1;
    EXPECT_EQ(done->members.size(), 2u);
    for (const auto& result : done->results) EXPECT_TRUE(result.ok());
    EXPECT_EQ(std::count(done->members.begin(), done->members.end(), testing::member("a")), 0);
    if (asked_a) {
      EXPECT_EQ(transport.asked.size(), 3u);
      EXPECT_EQ(done->notes, std::vector<std::string>{"replaced a: refused"});
    } else {
      EXPECT_EQ(transport.asked.size(), 2u);
      EXPECT_TRUE(done->notes.empty());
    }
  }
}

TEST(FanOutRounds, OnEveryMemberNobodyIsReplacedAndEachAnswerIsKept) {
  FakeBus bus{members({"a", "b", "c"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  transport.answers.emplace("b", Error{ErrorCode::service_unavailable, "refused"});
  auto done = fan_out(parts, 0, request(), exchange(transport));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(names(done->members), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(done->results[0].ok());
  EXPECT_EQ(done->results[1].error().message, "refused");
  EXPECT_TRUE(done->results[2].ok());
  EXPECT_TRUE(done->notes.empty());
}

TEST(FanOutRounds, FewerMembersThanAskedForAreAllAskedAndTheShortfallNoted) {
  FakeBus bus{members({"a", "b"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  auto done = fan_out(parts, 5, request(), exchange(transport));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->members.size(), 2u);
  EXPECT_EQ(done->notes, std::vector<std::string>{
                             "chose 2 of the 5 members asked for (the others are missing, or ejected on this host)"});
}

TEST(FanOutRounds, EachResultIsToldAsItArrivesAndKeptInTheOrderChosen) {
  FakeBus bus{members({"a", "b", "c"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  // The last member asked answers first.
  const ExchangeEach last_first = [&transport](const std::vector<Member>& asked, const FanOut&,
                                               const OnExchanged& on_exchanged, const FanOutWatch&) {
    for (std::size_t i = asked.size(); i-- > 0;) on_exchanged(i, Exchanged{transport.answer(asked[i].name), {}});
    return true;
  };
  std::vector<std::string> told;
  FanOutWatch watch;
  watch.on_result = [&told](const Member& member, const Result<CallOutcome>&) { told.push_back(member.name); };
  auto done = fan_out(parts, 0, request(), last_first, watch);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(told, (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(names(done->members), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(done->stopped);
}

TEST(FanOutRounds, AStoppedFanOutKeepsWhatArrivedAndNamesWhoIsPending) {
  FakeBus bus{members({"a", "b", "c"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  // Only b answers before the caller stops it.
  const ExchangeEach stopped_after_b = [&transport](const std::vector<Member>& asked, const FanOut&,
                                                    const OnExchanged& on_exchanged, const FanOutWatch&) {
    on_exchanged(1, Exchanged{transport.answer(asked[1].name), {}});
    return false;
  };
  std::vector<std::string> told;
  FanOutWatch watch;
  watch.on_result = [&told](const Member& member, const Result<CallOutcome>&) { told.push_back(member.name); };
  auto done = fan_out(parts, 0, request(), stopped_after_b, watch);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->stopped);
  EXPECT_EQ(told, std::vector<std::string>{"b"});
  EXPECT_EQ(names(done->members), std::vector<std::string>{"b"});
  EXPECT_EQ(names(done->pending), (std::vector<std::string>{"a", "c"}));
}

TEST(FanOutRounds, AMemberThatLacksTheFunctionIsReplacedAsOneThatCouldNotTakeIt) {
  for (int run = 0; run < 6; ++run) {
    FakeBus bus{members({"a", "b", "c"})};
    auto parts = make_parts(bus);
    FakeTransport transport;
    transport.answers.emplace("a", testing::agent_error(ErrorCode::not_found, "a has no function m.f"));
    auto done = fan_out(parts, 2, request(), exchange(transport));
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(names(done->members).size(), 2u);
    for (const auto& result : done->results) EXPECT_TRUE(result.ok());
    const auto asked_a = std::count(transport.asked.begin(), transport.asked.end(), "a") == 1;
    if (asked_a) {
      EXPECT_EQ(done->notes, std::vector<std::string>{"replaced a: a has no function m.f"});
    }
  }
}

TEST(FanOutRounds, ABadFunctionNameIsRefusedBeforeTheBusIsAsked) {
  FakeBus bus{members({"a"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  EXPECT_EQ(fan_out(parts, 0, request("nodot"), exchange(transport)).error().code, ErrorCode::bad_request);
  EXPECT_EQ(bus.asked, 0);
}

}  // namespace
}  // namespace rpclb
