#include "common/membership.hpp"

#include "common/member_rules.hpp"

#include <gtest/gtest.h>

namespace rpclb {
namespace {

using namespace std::chrono_literals;
using protocol::Announce;
using protocol::Leave;

Member member(std::string name, std::vector<std::string> groups, std::string instance = "i1") {
  return Member{std::move(name), std::move(instance), "tcp://127.0.0.1:1", std::move(groups), 1, 0, 100, "v"};
}

std::vector<std::string> names(const std::vector<Member>& members) {
  std::vector<std::string> out;
  for (const auto& m : members) out.push_back(m.name);
  return out;
}

TEST(MembershipView, JoinsAreListedByGroupInNameOrder) {
  MembershipView view;
  const auto t0 = Clock::now();
  EXPECT_EQ(view.apply(Announce{member("c", {"web"})}, t0), MembershipView::Change::joined);
  EXPECT_EQ(view.apply(Announce{member("a", {"web", "db"})}, t0), MembershipView::Change::joined);
  EXPECT_EQ(view.apply(Announce{member("b", {"db"})}, t0), MembershipView::Change::joined);
  EXPECT_EQ(names(view.members("web")), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(names(view.members("db")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names(view.members()), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(view.members("none").empty());
}

// CPU and load average move with nearly every heartbeat: the view keeps the
// latest (snapshots carry them), but watchers are not told of each.
TEST(MembershipView, HostFiguresAreKeptWithoutCountingAsAChange) {
  MembershipView view;
  const auto t0 = Clock::now();
  auto a = member("a", {"web"});
  a.cpu = 100;
  view.apply(Announce{a}, t0);
  a.cpu = 850;
  a.load_average = 4200;
  EXPECT_EQ(view.apply(Announce{a}, t0 + 10ms), MembershipView::Change::refreshed);
  EXPECT_EQ(view.find("a")->cpu, 850u);
  EXPECT_EQ(view.find("a")->load_average, 4200u);
  a.load = 3;
  EXPECT_EQ(view.apply(Announce{a}, t0 + 20ms), MembershipView::Change::updated);
}

TEST(MembershipView, HeartbeatsRefreshAndChangesUpdate) {
  MembershipView view;
  const auto t0 = Clock::now();
  view.apply(Announce{member("a", {"web"})}, t0);
  EXPECT_EQ(view.apply(Announce{member("a", {"web"})}, t0 + 50ms), MembershipView::Change::refreshed);
  auto loaded = member("a", {"web"});
  loaded.load = 5;
  EXPECT_EQ(view.apply(Announce{loaded}, t0 + 60ms), MembershipView::Change::updated);
  EXPECT_EQ(view.members("web").front().load, 5u);
}

TEST(MembershipView, MembersExpireAfterThreeMissedHeartbeats) {
  MembershipView view(3);
  const auto t0 = Clock::now();
  view.apply(Announce{member("a", {"web"})}, t0);  // heartbeat 100 ms -> TTL 300 ms
  view.apply(Announce{member("b", {"web"})}, t0);
  view.apply(Announce{member("b", {"web"})}, t0 + 250ms);  // b keeps beating
  EXPECT_TRUE(view.expire(t0 + 299ms).empty());
  auto gone = view.expire(t0 + 300ms);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone.front().name, "a");
  EXPECT_EQ(names(view.members("web")), (std::vector<std::string>{"b"}));
  EXPECT_EQ(view.next_expiry(), t0 + 550ms);
}

TEST(MembershipView, LeaveRemovesOnlyTheCurrentInstance) {
  MembershipView view;
  const auto t0 = Clock::now();
  view.apply(Announce{member("a", {"web"}, "old")}, t0);
  // Another instance cannot take a name that is held...
  EXPECT_EQ(view.apply(Announce{member("a", {"web"}, "new")}, t0), MembershipView::Change::conflict);
  EXPECT_EQ(view.find("a")->instance, "old");
  // ...until the holder leaves (a restarted agent says so for its dead predecessor).
  EXPECT_TRUE(view.apply(Leave{"a", "old"}));
  EXPECT_EQ(view.apply(Announce{member("a", {"web"}, "new")}, t0), MembershipView::Change::joined);
  // A late leave from the old process must not remove the new one.
  EXPECT_FALSE(view.apply(Leave{"a", "old"}));
  EXPECT_EQ(view.size(), 1u);
  EXPECT_TRUE(view.apply(Leave{"a", "new"}));
  EXPECT_EQ(view.size(), 0u);
  EXPECT_FALSE(view.apply(Leave{"a", "new"}));
}

TEST(MembershipView, LimitsBoundMembersAndBytesAndFreeOnLeave) {
  MembershipView view(3, MembershipLimits{3, 100000});
  const auto now = Clock::now();
  for (const auto* name : {"a", "b", "c"}) {
    EXPECT_EQ(view.apply(Announce{member(name, {"g"})}, now), MembershipView::Change::joined);
  }
  EXPECT_EQ(view.apply(Announce{member("d", {"g"})}, now), MembershipView::Change::full);
  // Members already there still refresh and update when full.
  EXPECT_EQ(view.apply(Announce{member("a", {"g"})}, now), MembershipView::Change::refreshed);
  EXPECT_EQ(view.apply(Announce{member("a", {"g", "h"})}, now), MembershipView::Change::updated);
  const auto full_bytes = view.bytes();
  EXPECT_TRUE(view.apply(Leave{"b", "i1"}));
  EXPECT_LT(view.bytes(), full_bytes);
  EXPECT_EQ(view.apply(Announce{member("d", {"g"})}, now), MembershipView::Change::joined);

  MembershipView small(3, MembershipLimits{100, member_footprint(member("a", {"g"})) * 2});
  EXPECT_EQ(small.apply(Announce{member("a", {"g"})}, now), MembershipView::Change::joined);
  EXPECT_EQ(small.apply(Announce{member("b", {"g"})}, now), MembershipView::Change::joined);
  EXPECT_EQ(small.apply(Announce{member("c", {"g"})}, now), MembershipView::Change::full);
  EXPECT_EQ(small.expire(now + 1h).size(), 2u);
  EXPECT_EQ(small.bytes(), 0u);
}

TEST(MemberRules, AcceptWhatAgentsAnnounceAndRefuseTheRest) {
  EXPECT_TRUE(validate_member(member("web-1.example.com", {"web", "api_v2"})));
  auto with = [](auto change) {
    auto m = member("ok", {"g"});
    change(m);
    return validate_member(m).ok();
  };
  EXPECT_FALSE(with([](Member& m) { m.name = std::string(256, 'n'); }));
  EXPECT_TRUE(with([](Member& m) { m.name = std::string(255, 'n'); }));
  EXPECT_FALSE(with([](Member& m) { m.name = "evil\nline"; }));
  EXPECT_FALSE(with([](Member& m) { m.name = "-flag"; }));
  EXPECT_FALSE(with([](Member& m) { m.name = "a/b"; }));
  EXPECT_FALSE(with([](Member& m) { m.name = ""; }));
  EXPECT_FALSE(with([](Member& m) { m.groups = {}; }));
  EXPECT_FALSE(with([](Member& m) { m.groups = {"g", "g"}; }));
  EXPECT_FALSE(with([](Member& m) { m.groups = std::vector<std::string>(65, "g"); }));
  EXPECT_FALSE(with([](Member& m) { m.groups = {"a b"}; }));
  EXPECT_FALSE(with([](Member& m) { m.weight = 0; }));
  EXPECT_FALSE(with([](Member& m) { m.weight = UINT32_MAX; }));
  EXPECT_FALSE(with([](Member& m) { m.heartbeat_ms = UINT32_MAX; }));
  EXPECT_FALSE(with([](Member& m) { m.heartbeat_ms = 1; }));
  EXPECT_FALSE(with([](Member& m) { m.endpoint = "garbage"; }));
  EXPECT_FALSE(with([](Member& m) { m.endpoint = "tcp://*:80"; }));
  EXPECT_FALSE(with([](Member& m) { m.endpoint = "tcp://host name:80"; }));
  EXPECT_FALSE(with([](Member& m) { m.endpoint = "tcp://h;rm:80"; }));
  EXPECT_TRUE(with([](Member& m) { m.endpoint = "tcp://[fd00::2]:80"; }));
  EXPECT_TRUE(with([](Member& m) { m.endpoint = "ipc:///run/rpclb/a"; }));
  EXPECT_FALSE(with([](Member& m) { m.instance = ""; }));
  EXPECT_FALSE(with([](Member& m) { m.version = std::string(65, 'v'); }));
  EXPECT_FALSE(validate_leave(Leave{"a\n", "i"}));
  EXPECT_TRUE(validate_leave(Leave{"a", "i"}));
}

}  // namespace
}  // namespace rpclb
