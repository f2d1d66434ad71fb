// One-shot discovery against scripted hubs (ROUTER sockets this test drives):
// answers are merged while the grace lasts, a silent hub costs only the grace,
// and no answer at all is service_unavailable at the deadline.
#include "common/bus_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>

#include "common/zmq_helpers.hpp"
#include "tests/support/silent_resolver.hpp"
#include "tests/unit/bounded_child.hpp"

namespace rpclb {
namespace {

using namespace std::chrono_literals;

Member member_named(const std::string& name) {
  return Member{name, "i-" + name, "tcp://127.0.0.1:9", {"web"}, 1, 0, 1000, "x"};
}

// A hub that answers the first snapshot request with one member after
// `delay`, or never when `delay` is empty.
class ScriptedHub {
 public:
  ScriptedHub(zmq::context_t& context, std::string member, std::optional<std::chrono::milliseconds> delay)
      : socket_(make_socket(context, zmq::socket_type::router)) {
    socket_.bind("tcp://127.0.0.1:*");
    endpoint = socket_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this, member = std::move(member), delay] {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      std::vector<zmq::message_t> parts;
      const auto give_up = Clock::now() + 10s;
      while (!stop_ && Clock::now() < give_up) {
        zmq::poll(&item, 1, 20ms);
        if (!receive_multipart(socket_, parts) || parts.size() != 3) continue;
        if (!delay) continue;
        std::this_thread::sleep_for(*delay);
        socket_.send(parts[0], zmq::send_flags::sndmore);
        socket_.send(zmq::message_t(), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(protocol::encode(protocol::Snapshot{{member_named(member)}})));
      }
    });
  }
  ScriptedHub(const ScriptedHub&) = delete;
  ScriptedHub& operator=(const ScriptedHub&) = delete;
  ~ScriptedHub() {
    stop_ = true;
    thread_.join();
  }

  std::string endpoint;

 private:
  zmq::socket_t socket_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::vector<std::string> names(const std::vector<Member>& members) {
  std::vector<std::string> out;
  for (const auto& member : members) out.push_back(member.name);
  return out;
}

DiscoveryOptions asking(std::vector<std::string> bus, std::chrono::milliseconds grace,
                        std::chrono::milliseconds timeout) {
  DiscoveryOptions options;
  options.bus = std::move(bus);
  options.grace = grace;
  options.deadline = Clock::now() + timeout;
  return options;
}

TEST(Discovery, AHubAnsweringWithinTheGraceIsMerged) {
  zmq::context_t context;
  ScriptedHub quick(context, "quick", 0ms);
  ScriptedHub later(context, "later", 200ms);
  // The grace is far longer than the second hub's delay, so this holds on
  // any machine; a client that stops at the first answer misses "later".
  auto members = fetch_members(context, "web", asking({quick.endpoint, later.endpoint}, 5s, 10s));
  ASSERT_TRUE(members) << members.error().message;
  EXPECT_EQ(names(*members), (std::vector<std::string>{"later", "quick"}));
}

TEST(Discovery, ASilentHubCostsOnlyTheGrace) {
  zmq::context_t context;
  ScriptedHub quick(context, "quick", 0ms);
  ScriptedHub silent(context, "silent", std::nullopt);
  const auto start = Clock::now();
  auto members = fetch_members(context, "web", asking({quick.endpoint, silent.endpoint}, 50ms, 10s));
  ASSERT_TRUE(members) << members.error().message;
  EXPECT_EQ(names(*members), (std::vector<std::string>{"quick"}));
  EXPECT_LT(Clock::now() - start, 5s) << "waited for the silent hub, not the grace";
}

TEST(Discovery, NoHubAnsweringIsUnavailableAtTheDeadline) {
  zmq::context_t context;
  ScriptedHub silent(context, "silent", std::nullopt);
  const auto start = Clock::now();
  auto members = fetch_members(context, "web", asking({silent.endpoint}, 50ms, 300ms));
  ASSERT_FALSE(members);
  EXPECT_EQ(members.error().code, ErrorCode::service_unavailable);
  EXPECT_NE(members.error().message.find(silent.endpoint), std::string::npos) << members.error().message;
  EXPECT_LT(Clock::now() - start, 300ms + 1s);
}

// A hub named by a host the resolver never answers for is a silent hub: the
// hub at an address is asked at once and answers for both (in a child, behind
// a silent resolver: tests/support/silent_resolver.hpp).
TEST(DiscoveryNames, AHubWhoseNameNeverResolvesDelaysNoOtherHub) {
  const int status = testing::run_bounded(
      [] {
        if (const int isolated = testing::isolate_with_silent_resolver(); isolated != 0) return isolated;
        zmq::context_t context;
        ScriptedHub quick(context, "quick", 0ms);
        const auto start = Clock::now();
        auto members = fetch_members(context, "web", asking({"tcp://hub.rpclb-test:7400", quick.endpoint}, 30ms, 5s));
        const bool in_time = Clock::now() - start < 2s;
        const bool merged = members && names(*members) == std::vector<std::string>{"quick"};
        return merged ? (in_time ? 0 : 2) : 1;
      },
      30s);
  EXPECT_EQ(status, 0) << "1: the hub at an address was not heard; 2: it was heard only after the name's 5 s; "
                          "10-15: the scenario's set-up";
}

}  // namespace
}  // namespace rpclb
