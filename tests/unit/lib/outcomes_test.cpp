#include <gtest/gtest.h>

#include "lib/outcomes.hpp"
#include "tests/unit/lib/fake_parts.hpp"

namespace rpclb {
namespace {

using testing::agent_error;
using testing::FakeBus;
using testing::make_parts;
using testing::members;
using testing::PartsSettings;
using testing::value_reply;

Status settle_one(BalancerParts& parts, const Member& member, Result<protocol::CallReply> reply,
                  protocol::CallMode mode = protocol::CallMode::call) {
  const Ended ended{member, reply, std::chrono::microseconds(100)};
  return parts.outcomes.settle(parts.memory, {&ended, 1}, parts.memory.holds_selections(), mode, testing::later());
}

std::map<std::string, state::WallMs, std::less<>> ejected(BalancerParts& parts) {
  return remembered(parts.memory).value().ejected_until;
}

TEST(OutcomeRecorder, AnUnreachableMemberIsEjectedAndItsNextAnswerClearsTheRecord) {
  FakeBus bus{members({"a", "b"})};
  PartsSettings settings;
  settings.on_attempt = [](const AttemptReport&) {};
  auto parts = make_parts(bus, settings);
  const auto a = testing::member("a");
  ASSERT_TRUE(settle_one(parts, a, Error{ErrorCode::service_unavailable, "refused"}).ok());
  EXPECT_TRUE(ejected(parts).contains("a"));
  EXPECT_GT(parts.outcomes.take_ejected_until("a"), 0);
  EXPECT_EQ(parts.outcomes.take_ejected_until("a"), 0);  // told once
  // An agent's error is an answer too: the member is there.
  ASSERT_TRUE(settle_one(parts, a, agent_error(ErrorCode::not_found, "no such function")).ok());
  EXPECT_TRUE(ejected(parts).empty());
}

TEST(OutcomeRecorder, TimeoutsEjectOnlyAfterTheConfiguredRun) {
  FakeBus bus{members({"a", "b"})};
  PartsSettings settings;
  settings.failure_memory.eject_after_timeouts = 2;
  auto parts = make_parts(bus, settings);
  const auto a = testing::member("a");
  ASSERT_TRUE(settle_one(parts, a, Error{ErrorCode::request_timeout, "no reply"}).ok());
  EXPECT_TRUE(ejected(parts).empty());
  // The agent's own deadline passing counts the same.
  ASSERT_TRUE(settle_one(parts, a, agent_error(ErrorCode::request_timeout, "took too long")).ok());
  EXPECT_TRUE(ejected(parts).contains("a"));
}

TEST(OutcomeRecorder, AnErrorAboutTheRequestSaysNothingAgainstTheMember) {
  FakeBus bus{members({"a"})};
  auto parts = make_parts(bus);
  ASSERT_TRUE(settle_one(parts, testing::member("a"), Error{ErrorCode::bad_request, "too large"}).ok());
  EXPECT_TRUE(ejected(parts).empty());
}

TEST(OutcomeRecorder, ACallsEndGivesBackItsHold) {
  FakeBus bus{members({"a"})};
  PartsSettings settings;
  settings.algorithm = "least_connections";
  auto parts = make_parts(bus, settings);
  auto found = parts.candidates.find(testing::later(), {});
  ASSERT_TRUE(
      parts.selector.choose(parts.memory, *found, 1, std::nullopt, Purpose::first_attempt, testing::later()).ok());
  EXPECT_EQ(remembered(parts.memory).value().outstanding.at("a"), 1);
  ASSERT_TRUE(settle_one(parts, testing::member("a"), value_reply()).ok());
  EXPECT_FALSE(remembered(parts.memory).value().outstanding.contains("a"));
}

}  // namespace
}  // namespace rpclb
