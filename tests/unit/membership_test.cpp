#include "common/membership.hpp"

#include <gtest/gtest.h>

namespace rpclb {
namespace {

using namespace std::chrono_literals;
using protocol::Announce;
using protocol::Leave;
using protocol::MemberInfo;

MemberInfo member(std::string name, std::vector<std::string> groups, std::string instance = "i1") {
  return MemberInfo{std::move(name), std::move(instance), "tcp://127.0.0.1:1", std::move(groups), 1, 0, 100, "v"};
}

std::vector<std::string> names(const std::vector<MemberInfo>& members) {
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
  // The agent restarted: its new instance replaces the old one...
  EXPECT_EQ(view.apply(Announce{member("a", {"web"}, "new")}, t0), MembershipView::Change::updated);
  // ...and a late leave from the old process must not remove it.
  EXPECT_FALSE(view.apply(Leave{"a", "old"}));
  EXPECT_EQ(view.size(), 1u);
  EXPECT_TRUE(view.apply(Leave{"a", "new"}));
  EXPECT_EQ(view.size(), 0u);
  EXPECT_FALSE(view.apply(Leave{"a", "new"}));
}

}  // namespace
}  // namespace rpclb
