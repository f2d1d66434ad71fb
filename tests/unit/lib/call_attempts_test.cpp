#include <gtest/gtest.h>

#include "lib/call_attempts.hpp"
#include "tests/unit/lib/fake_parts.hpp"

namespace rpclb {
namespace {

using testing::agent_error;
using testing::FakeBus;
using testing::FakeTransport;
using testing::make_parts;
using testing::members;
using testing::PartsSettings;

Result<CallOutcome> call(BalancerParts& parts, FakeTransport& transport, const std::string& function = "m.f") {
  std::mt19937_64 ids(1);
  CallAttempts call;
  if (auto begun = begin_call(parts, call, function, "\x90", protocol::CallMode::call,
                              Clock::now() + std::chrono::seconds(5), std::nullopt);
      !begun) {
    return begun.error();
  }
  return run_call(parts, transport.send(), std::move(call), ids);
}

TEST(CallAttempts, AMemberThatCouldNotTakeTheRequestIsReplacedByOneNotTriedYet) {
  FakeBus bus{members({"a", "b", "c"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  transport.answers.emplace("a", Error{ErrorCode::service_unavailable, "refused"});
  transport.answers.emplace("b", agent_error(ErrorCode::service_unavailable, "draining"));
  for (int i = 0; i < 3; ++i) {
    transport.asked.clear();
    auto outcome = call(parts, transport);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    EXPECT_EQ(outcome->member.name, "c");
    EXPECT_EQ(transport.asked.back(), "c");
    EXPECT_EQ(std::set<std::string>(transport.asked.begin(), transport.asked.end()).size(), transport.asked.size());
  }
}

TEST(CallAttempts, OutOfRetriesTheErrorSaysWhatEachMemberSaid) {
  FakeBus bus{members({"a", "b", "c"})};
  PartsSettings settings;
  settings.retry.retries = 1;
  auto parts = make_parts(bus, settings);
  FakeTransport transport;
  for (const char* name : {"a", "b", "c"}) transport.answers.emplace(name, Error{ErrorCode::service_unavailable, "x"});
  auto outcome = call(parts, transport);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(transport.asked.size(), 2u);
  EXPECT_EQ(outcome.error().code, ErrorCode::service_unavailable);
  EXPECT_EQ(outcome.error().message, "x (after " + transport.asked[0] + ": x;)");
}

TEST(CallAttempts, ATimeoutIsTriedAgainOnlyWhenTheCallerSaysItIsSafe) {
  FakeBus bus{members({"a", "b", "c"})};
  FakeTransport transport;
  for (const char* name : {"a", "b", "c"}) transport.answers.emplace(name, Error{ErrorCode::request_timeout, "slow"});
  auto once = make_parts(bus);
  EXPECT_EQ(call(once, transport).error().code, ErrorCode::request_timeout);
  EXPECT_EQ(transport.asked.size(), 1u);

  transport.asked.clear();
  PartsSettings settings;
  settings.retry.retry_on_timeout = true;
  auto again = make_parts(bus, settings);
  EXPECT_EQ(call(again, transport).error().code, ErrorCode::request_timeout);
  EXPECT_EQ(transport.asked.size(), 3u);
}

TEST(CallAttempts, AMemberThatLacksTheFunctionIsReplacedAndTheLastNotFoundIsTheAnswer) {
  FakeBus bus{members({"a", "b", "c"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  transport.answers.emplace("a", agent_error(ErrorCode::not_found, "a has no function m.f"));
  transport.answers.emplace("b", agent_error(ErrorCode::not_found, "b has no function m.f"));
  for (int i = 0; i < 3; ++i) {
    transport.asked.clear();
    auto outcome = call(parts, transport);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    EXPECT_EQ(outcome->member.name, "c");
  }
  transport.answers.emplace("c", agent_error(ErrorCode::not_found, "c has no function m.f"));
  transport.asked.clear();
  auto none = call(parts, transport);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::not_found);
  EXPECT_EQ(transport.asked.size(), 3u);
}

// A member too old to read standard input is passed over with nothing sent.
TEST(CallAttempts, AMemberTooOldForStandardInputIsPassedOverUnasked) {
  auto group = members({"a", "b"});
  group[0].version = "0.4.0";
  FakeBus bus{group};
  auto parts = make_parts(bus);
  FakeTransport transport;
  for (int i = 0; i < 4; ++i) {
    std::mt19937_64 ids(1);
    CallAttempts call;
    ASSERT_TRUE(begin_call(parts, call, "m.f", "\x90", protocol::CallMode::call, Clock::now() + std::chrono::seconds(5),
                           std::nullopt)
                    .ok());
    call.request.input = "hi";
    auto outcome = run_call(parts, transport.send(), std::move(call), ids);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    EXPECT_EQ(outcome->member.name, "b");
  }
  EXPECT_EQ(transport.asked, (std::vector<std::string>(4, "b")));
}

TEST(CallAttempts, AnAgentErrorThatIsNotAboutCapacityEndsTheCall) {
  FakeBus bus{members({"a", "b"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  for (const char* name : {"a", "b"}) transport.answers.emplace(name, agent_error(ErrorCode::bad_request, "no"));
  EXPECT_EQ(call(parts, transport).error().code, ErrorCode::bad_request);
  EXPECT_EQ(transport.asked.size(), 1u);
}

TEST(CallAttempts, EachAttemptCarriesTheRequestIdAndIsTraced) {
  FakeBus bus{members({"a", "b"})};
  PartsSettings settings;
  settings.request_id = "job-7";
  std::vector<AttemptReport> reports;
  settings.on_attempt = [&](const AttemptReport& report) { reports.push_back(report); };
  auto parts = make_parts(bus, settings);
  FakeTransport transport;
  transport.errors_first.push_back(Error{ErrorCode::service_unavailable, "refused"});
  ASSERT_TRUE(call(parts, transport).ok());
  ASSERT_EQ(transport.requests.size(), 2u);
  for (const auto& request : transport.requests) EXPECT_EQ(request.request_id, "job-7");
  EXPECT_NE(transport.requests[0].id, transport.requests[1].id);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].member, transport.asked[0]);
  EXPECT_EQ(reports[0].attempt, 1u);
  ASSERT_TRUE(reports[0].error);
  EXPECT_EQ(reports[0].error->message, "refused");
  EXPECT_GT(reports[0].ejected_until, 0);  // refused: ejected at once
  EXPECT_EQ(reports[1].member, transport.asked[1]);
  EXPECT_EQ(reports[1].attempt, 2u);
  EXPECT_FALSE(reports[1].error);
  EXPECT_EQ(reports[1].request_id, "job-7");
}

TEST(CallAttempts, ABadFunctionNameIsRefusedBeforeAnyoneIsAsked) {
  FakeBus bus{members({"a"})};
  auto parts = make_parts(bus);
  FakeTransport transport;
  EXPECT_EQ(call(parts, transport, "nodot").error().code, ErrorCode::bad_request);
  EXPECT_EQ(bus.asked, 0);
  EXPECT_TRUE(transport.asked.empty());
}

}  // namespace
}  // namespace rpclb
