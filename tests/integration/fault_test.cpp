// Faults: dead, stopped and draining agents, a lost bus hub, garbage frames.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <unistd.h>
#include <atomic>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "common/endpoint.hpp"
#include "common/json_msgpack.hpp"
#include "common/protocol.hpp"
#include "common/zmq_helpers.hpp"
#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

std::string endpoint_of(Cluster& cluster, const std::string& group, const std::string& name) {
  auto result = cluster.rpclb({"members", group, "--json", "--match", name});
  if (result.exit_code != 0) return {};
  return result.json()[0]["endpoint"];
}

// A member listed at an endpoint where another agent answers, as when a
// killed member's port is taken by a new agent: calls meant for it reach
// someone else, who runs nothing and says so, and the caller goes on to a
// member that is who it says. "gone" advertises the squatter's endpoint
// rather than dying and leaving its port to be taken, which another test's
// connection could take first (CI's busy stage saw that once).
TEST(Faults, ACallMeantForAnotherMemberRunsNothingAndIsRetried) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  cluster.start_agent("squatter", {"elsewhere"});
  cluster.start_agent("real", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("elsewhere", {"squatter"}));
  const auto endpoint = endpoint_of(cluster, "elsewhere", "squatter");
  cluster.start_agent("gone", {"web"}, {"--advertise", endpoint});
  ASSERT_TRUE(cluster.wait_for_members("web", {"gone", "real"})) << cluster.agent_log("gone");
  ASSERT_EQ(endpoint_of(cluster, "web", "gone"), endpoint);

  auto meant_for_gone = cluster.rpclb({"call", "web", "sys.info", "--match", "gone"});
  EXPECT_EQ(meant_for_gone.exit_code, 4) << meant_for_gone.err;
  EXPECT_NE(meant_for_gone.err.find("meant for gone"), std::string::npos) << meant_for_gone.err;
  EXPECT_NE(meant_for_gone.err.find("is squatter"), std::string::npos) << meant_for_gone.err;
  EXPECT_NE(meant_for_gone.err.find("nothing was run"), std::string::npos) << meant_for_gone.err;
  for (int i = 0; i < 4; ++i) {
    auto called = cluster.rpclb({"--json", "call", "web", "sys.info", "--algorithm", "round_robin"});
    ASSERT_EQ(called.exit_code, 0) << called.err;
    EXPECT_EQ(called.json()["node"], "real");
    EXPECT_EQ(called.json()["result"]["name"], "real");
  }
}

// Calls pour in faster than the agent can answer them (2 callers sending
// 1 MB echoes as fast as ZeroMQ takes them, for 8 s; an echo that size takes
// the event loop longer than ZeroMQ takes to read the next): its heartbeats
// still go out on time and its hub still answers, so it is never dropped.
// They used to wait until the RPC socket was empty: missing in 8 of 8 polls.
TEST(Faults, AFloodedAgentKeepsItsHeartbeatsOnTime) {
  Cluster cluster;
  cluster.start_hub_agent(0, "busy", {"web"}, {"--heartbeat-ms", "200"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"busy"}));
  const auto endpoint = endpoint_of(cluster, "web", "busy");
  const auto request = protocol::encode(protocol::CallRequest{
      1, protocol::CallMode::call, "sys.echo", json_to_msgpack({std::string(1024 * 1024, 'x')}), 5000, {}, {}, {}, {}});

  zmq::context_t context;
  std::atomic<bool> flooding{true};
  std::atomic<long> replies{0};
  auto flood = [&] {
    auto socket = make_socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::sndhwm, 4);
    socket.connect(endpoint);
    std::vector<zmq::message_t> parts;
    while (flooding) {
      // Sends until ZeroMQ's queue is full, then takes what came back.
      while (socket.send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        socket.send(zmq::buffer(request), zmq::send_flags::none);
      }
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(5));
      while (receive_multipart(socket, parts)) ++replies;
    }
  };
  std::vector<std::thread> callers;
  for (int i = 0; i < 2; ++i) callers.emplace_back(flood);
  int polls = 0;
  int missing = 0;
  // Eight seconds of a flood that got going: at least 100 echoes answered,
  // however long a slow machine takes to get there (a minute at most).
  const auto start = std::chrono::steady_clock::now();
  auto flooded_enough = [&] { return std::chrono::steady_clock::now() - start >= 8s && replies.load() > 100; };
  while (!flooded_enough() && std::chrono::steady_clock::now() - start < 60s) {
    ++polls;
    if (cluster.members("web") != std::vector<std::string>{"busy"}) ++missing;
    std::this_thread::sleep_for(100ms);
  }
  flooding = false;
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(missing, 0) << "busy was missing from the group in " << missing << " of " << polls << " polls";
  EXPECT_GT(replies.load(), 100) << "the flood never got going";
  std::cout << "figure: 1 MB echoes answered during the flood = " << replies.load() << ", polls = " << polls << "\n";
}

// A hung agent (SIGSTOP) is replaced by a restart at once: it does not answer
// the newcomer's call. When it wakes and stops, its leave, in its own
// instance's name, removes nothing.
TEST(Faults, AHungPredecessorIsReplacedAndItsLateLeaveIgnored) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {}, {"--log-level", "debug"});
  auto& hung = cluster.start_agent("a", {"web"}, {"--heartbeat-ms", "5000"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a"}));
  const auto old_endpoint = endpoint_of(cluster, "web", "a");
  hung.signal(SIGSTOP);
  // Slow heartbeats: if the late leave removed it, it would stay removed.
  auto& restarted = cluster.start_agent("a", {"web"}, {"--heartbeat-ms", "5000"});
  std::string new_endpoint;
  ASSERT_TRUE(Cluster::wait_until(
      [&] {
        new_endpoint = endpoint_of(cluster, "web", "a");
        return !new_endpoint.empty() && new_endpoint != old_endpoint;
      },
      5s))
      << cluster.agent_log("hub");
  const auto replaced_by = cluster.agent_log("hub").size();  // what the hub says next is about the late leave
  hung.signal(SIGCONT);
  hung.signal(SIGTERM);
  EXPECT_EQ(hung.wait_for(10s), 0);
  const auto since_replaced = [&] { return cluster.agent_log("hub").substr(replaced_by); };
  ASSERT_TRUE(Cluster::wait_until([&] {
    return since_replaced().find("event=stale_leave member=a") != std::string::npos ||
           since_replaced().find("event=member_left member=a") != std::string::npos;
  })) << cluster.agent_log("hub");
  EXPECT_EQ(since_replaced().find("event=member_left member=a"), std::string::npos) << since_replaced();
  EXPECT_EQ(endpoint_of(cluster, "web", "a"), new_endpoint) << cluster.agent_log("hub");
  EXPECT_TRUE(restarted.running());
}

TEST(Faults, KilledAgentLeavesWithinTtlAndCallsGoOn) {
  Cluster cluster;
  const auto three = cluster.start_three();
  ASSERT_TRUE(three.listed);
  auto& victim = *three.c;

  victim.signal(SIGKILL);
  ASSERT_TRUE(victim.wait_for(5s).has_value());
  // TTL is 3 heartbeats of 100 ms; allow generous slack for a loaded machine.
  EXPECT_TRUE(cluster.wait_for_members("web", {"a", "b"}, 5s));
  for (int i = 0; i < 6; ++i) {
    auto result = cluster.rpclb({"call", "web", "sys.echo", std::to_string(i), "--algorithm", "round_robin"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.json(), nlohmann::json::array({i}));
  }
}

// A hub, one worker agent in group "jobs", and a call in flight on it.
class CallInFlight : public ::testing::Test {
 protected:
  void start(const std::string& sleep_ms, const std::string& timeout_ms) {
    cluster.start_hub_agent(0, "hub", {});
    agent = &cluster.start_agent("worker", {"jobs"});
    ASSERT_TRUE(cluster.wait_for_members("jobs", {"worker"}));
    call = &cluster.rpclb_async({"call", "jobs", "sys.sleep", sleep_ms, "--timeout", timeout_ms}, "call");
    ASSERT_TRUE(cluster.wait_for_load("jobs", 1));
  }
  Cluster cluster;
  Process* agent = nullptr;
  Process* call = nullptr;
};

TEST_F(CallInFlight, SigtermDrainsItThenExitsZero) {
  ASSERT_NO_FATAL_FAILURE(start("6000", "20000"));
  agent->signal(SIGTERM);
  // It leaves the bus at once (no new callers) ...
  // (The wait is bounded by the sleep: leaving must come before the call ends.)
  EXPECT_TRUE(cluster.wait_until([&] { return cluster.rpclb({"members", "jobs"}).exit_code == 4; }, 5000ms));
  // ... yet the call it had accepted completes.
  auto result = cluster.collect(*call, "call", 20s);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.json(), nlohmann::json(6000));
  EXPECT_EQ(agent->wait_for(10s), 0);
}

// Killed mid-call, the agent's connection goes with it: the caller hears at
// once that the call may have run (request_timeout), not at its deadline.
TEST_F(CallInFlight, AgentKilledMidCallEndsInTimeoutNotAHang) {
  ASSERT_NO_FATAL_FAILURE(start("10000", "8000"));
  const auto killed = std::chrono::steady_clock::now();
  agent->signal(SIGKILL);
  auto result = cluster.collect(*call, "call", 20s);
  EXPECT_EQ(result.exit_code, 5) << result.err;
  EXPECT_NE(result.err.find("was lost before the reply; the call may have run"), std::string::npos) << result.err;
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 4s);
}

TEST(Faults, StoppedAgentMakesCallsTimeOutOnTime) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {}, {"--missed-heartbeats", "100"});
  auto& agent = cluster.start_agent("frozen", {"jobs"});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"frozen"}));
  agent.signal(SIGSTOP);
  auto result = cluster.rpclb({"call", "jobs", "sys.echo", "--timeout", "500"});
  agent.signal(SIGCONT);
  // A stopped process accepts no connection (its handshake never ends), so
  // nothing was sent: not run, within the connect timeout.
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_NE(result.err.find("timed out connecting"), std::string::npos) << result.err;
  EXPECT_LT(result.elapsed, 8s);
}

TEST(Faults, SecondHubKeepsDiscoveryAliveWhenTheFirstDies) {
  Cluster cluster;
  cluster.hub_endpoint(0);
  cluster.hub_endpoint(1);
  auto& first = cluster.start_hub_agent(0, "a", {"web"});
  cluster.start_hub_agent(1, "b", {"web"});
  cluster.start_agent("c", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b", "c"}));
  first.signal(SIGKILL);
  ASSERT_TRUE(first.wait_for(5s).has_value());
  EXPECT_TRUE(cluster.wait_for_members("web", {"b", "c"}, 5s));
  auto result = cluster.rpclb({"call", "web", "sys.echo", "still-here"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(Faults, RestartedHubRelearnsMembersWithoutRestartingAgents) {
  Cluster cluster;
  auto& hub = cluster.start_hub_agent(0, "hub", {});
  cluster.start_agent("a", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a"}));
  hub.signal(SIGKILL);
  ASSERT_TRUE(hub.wait_for(5s).has_value());
  EXPECT_EQ(cluster.rpclb({"members", "web", "--bus-timeout", "200"}).exit_code, 7);
  cluster.start_hub_agent(0, "hub2", {});
  EXPECT_TRUE(cluster.wait_for_members("web", {"a"}, 10s));
}

// Restarted after kill -9 (same name, new instance), an agent takes its name
// back at once: its dead predecessor no longer answers, so the hubs are told
// it left. Its time to live here is 15 s; the test allows 5.
TEST(Faults, RestartedAgentReplacesItsOldSelfAtOnce) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  auto& first = cluster.start_agent("a", {"web"}, {"--heartbeat-ms", "5000"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a"}));
  const auto old_endpoint = endpoint_of(cluster, "web", "a");
  first.signal(SIGKILL);
  ASSERT_TRUE(first.wait_for(5s).has_value());
  cluster.start_agent("a", {"web"});
  EXPECT_TRUE(Cluster::wait_until(
      [&] {
        const auto now = endpoint_of(cluster, "web", "a");
        return !now.empty() && now != old_endpoint;
      },
      5s))
      << cluster.agent_log("hub");
  EXPECT_EQ(cluster.members("web"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.echo"}).exit_code, 0);
}

class GarbageFrames : public ::testing::Test {
 protected:
  void SetUp() override {
    agent = &cluster.start_hub_agent(0, "target", {"web"}, {"--log-level", "debug"});
    ASSERT_TRUE(cluster.wait_for_members("web", {"target"}));
    endpoint = endpoint_of(cluster, "web", "target");
    ASSERT_FALSE(endpoint.empty());
  }

  // Sends one multipart message on a fresh DEALER; returns the reply body, if any, within `wait`.
  std::optional<std::string> send(const std::vector<std::string>& frames, std::chrono::milliseconds wait = 1000ms) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, wait);
    if (!(item.revents & ZMQ_POLLIN)) return std::nullopt;
    std::vector<zmq::message_t> parts;
    while (true) {
      zmq::message_t part;
      if (!socket.recv(part, zmq::recv_flags::dontwait)) break;
      const bool more = part.more();
      parts.push_back(std::move(part));
      if (!more) break;
    }
    return parts.back().to_string();
  }

  void expect_bad_request(const std::vector<std::string>& frames) {
    auto reply = send(frames);
    ASSERT_TRUE(reply.has_value());
    auto decoded = protocol::decode_as<protocol::CallReply>(*reply);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->kind, protocol::CallReply::Kind::error);
    EXPECT_EQ(decoded->error.code, ErrorCode::bad_request);
  }

  void expect_still_serving() {
    auto result = cluster.rpclb({"call", "web", "sys.echo", "alive"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.json(), nlohmann::json::array({"alive"}));
  }

  Cluster cluster;
  Process* agent = nullptr;
  zmq::context_t context;
  std::string endpoint;
};

TEST_F(GarbageFrames, MalformedBodiesGetBadRequestAndTheAgentGoesOn) {
  const auto good =
      protocol::encode(protocol::CallRequest{1, protocol::CallMode::call, "sys.echo", "", 1000, {}, {}, {}, {}});
  expect_bad_request({"", "\xff\x00\x13 garbage"});
  expect_bad_request({"", good.substr(0, good.size() / 2)});                      // truncated
  expect_bad_request({"", json_to_msgpack({2, "call", 1, "sys.echo", {}, 10})});  // wrong version
  expect_bad_request({"", json_to_msgpack({1, "announce", 1})});                  // wrong kind for this socket
  expect_bad_request({"", ""});
  expect_still_serving();
}

// A call whose id can be read is refused under that id, so its caller hears
// why at once instead of waiting out its timeout.
TEST_F(GarbageFrames, ACallWithUnreadableArgumentsIsRefusedUnderItsId) {
  const std::string too_deep = std::string(protocol::kMaxNestingDepth + 1, '\x91') + "\x01";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {too_deep, "args is nested more than 32 deep"},
      {"\xdc\xff\xff", "args is truncated"},  // more items than the frame holds
      {"\xc1", "args is not MessagePack"},
      {"\x01", "args must be an array"},
  };
  std::uint64_t id = 40;
  for (const auto& [args, why] : cases) {
    auto frame = protocol::encode(
        protocol::CallRequest{++id, protocol::CallMode::call, "sys.echo", "\x90", 1000, {}, {}, {}, {}});
    // The arguments are the fifth item: swap the empty array for these.
    const auto at = frame.find("\x90", frame.find("sys.echo"));
    ASSERT_NE(at, std::string::npos);
    frame.replace(at, 1, args);
    auto reply = send({"", frame});
    ASSERT_TRUE(reply.has_value()) << why;
    auto decoded = protocol::decode_as<protocol::CallReply>(*reply);
    ASSERT_TRUE(decoded.ok()) << why;
    EXPECT_EQ(decoded->id, id) << why;
    EXPECT_EQ(decoded->error.code, ErrorCode::bad_request) << why;
    EXPECT_NE(decoded->error.message.find(why), std::string::npos) << decoded->error.message;
  }
  expect_still_serving();
}

TEST_F(GarbageFrames, RandomAndOversizedFramesNeverKillTheAgent) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> parts(1, 4);
  std::uniform_int_distribution<int> length(0, 200);
  // One connection for all of them, kept open until the agent has seen each.
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(endpoint);
  constexpr int kRounds = 200;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> frames(static_cast<std::size_t>(parts(rng)));
    for (auto& frame : frames) {
      frame.resize(static_cast<std::size_t>(length(rng)));
      for (auto& c : frame) c = static_cast<char>(byte(rng));
    }
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  // Each message is either answered bad_request or dropped, with one debug
  // line either way: counting them proves every frame reached the agent.
  auto handled = [&] {
    const auto log = cluster.agent_log("target");
    std::size_t lines = 0;
    for (const auto* event : {"event=request_refused", "event=request_dropped"}) {
      for (auto at = log.find(event); at != std::string::npos; at = log.find(event, at + 1)) ++lines;
    }
    return lines;
  };
  EXPECT_TRUE(Cluster::wait_until([&] { return handled() >= kRounds; })) << handled() << " of " << kRounds;
  EXPECT_EQ(handled(), static_cast<std::size_t>(kRounds));
  // Above ZMQ_MAXMSGSIZE: the agent drops the connection instead of reading it.
  EXPECT_FALSE(send({"", std::string(protocol::kMaxFrameBytes + 1, 'x')}, 500ms).has_value());
  expect_still_serving();
}

// CPU time (user + system) a process has used, from /proc.
std::chrono::milliseconds cpu_time(pid_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> values{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
  if (values.size() < 13) return std::chrono::milliseconds(-1);
  const long ticks = std::stol(values[11]) + std::stol(values[12]);
  return std::chrono::milliseconds(ticks * 1000 / ::sysconf(_SC_CLK_TCK));
}

// The share of one core `process` used over `window` of wall time.
double cpu_share(const Process& process, std::chrono::milliseconds window) {
  const auto before = cpu_time(process.pid());
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);
  const auto used = cpu_time(process.pid()) - before;
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return static_cast<double>(used.count()) / static_cast<double>(elapsed.count());
}

// An agent with nothing to do waits in poll: one with no group to announce
// to (a hub only), and one draining a long call. Spinning would be ~1.0.
TEST(Faults, IdleAndDrainingAgentsWaitInsteadOfSpinning) {
  Cluster cluster;
  auto& hub = cluster.start_hub_agent(0, "hub", {});
  auto& worker = cluster.start_agent("worker", {"jobs"});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"worker"}));
  // The first heartbeat tick has passed: that is when a stale tick would start a spin.
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * Cluster::kHeartbeatMs));
  // Idle is ~0.0; a spinning agent gets most of a core, and well over a
  // quarter of one even when the machine is busy with other tests.
  EXPECT_LT(cpu_share(hub, 1500ms), 0.25);

  auto& busy = cluster.rpclb_async({"call", "jobs", "sys.sleep", "4000", "--timeout", "20000"}, "busy");
  ASSERT_TRUE(cluster.wait_for_load("jobs", 1));
  worker.signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * Cluster::kHeartbeatMs));
  EXPECT_LT(cpu_share(worker, 1500ms), 0.25);
  EXPECT_EQ(cluster.collect(busy, "busy", 20s).exit_code, 0);
  EXPECT_EQ(worker.wait_for(10s), 0);
}

TEST_F(GarbageFrames, MemoryStaysBoundedUnderAFloodOfBadFrames) {
  // Warm up allocator pools, then measure: the flood must not leave its bytes behind.
  expect_still_serving();
  const long before = resident_kib(agent->pid());
  ASSERT_GT(before, 0);
  const std::string big(1024 * 1024 - 1024, '\xc1');  // 0xc1 is never valid MessagePack
  const auto truncated =
      protocol::encode(protocol::CallRequest{1, protocol::CallMode::call, "sys.echo", "", 10, {}, {}, {}, {}});
  zmq::socket_t flood(context, zmq::socket_type::dealer);
  flood.set(zmq::sockopt::linger, 0);
  flood.connect(endpoint);
  constexpr int kRounds = 300;
  for (int round = 0; round < kRounds; ++round) {
    for (const auto* body : {&big, &truncated}) {
      flood.send(zmq::message_t(), zmq::send_flags::sndmore);
      flood.send(zmq::buffer(body->substr(0, body == &truncated ? 5 : body->size())), zmq::send_flags::none);
    }
    flood.send(zmq::str_buffer("no"), zmq::send_flags::sndmore);  // no delimiter: dropped unanswered
    flood.send(zmq::str_buffer("delimiter"), zmq::send_flags::sndmore);
    flood.send(zmq::str_buffer("here"), zmq::send_flags::none);
  }
  // Every decodable envelope is answered bad_request: counting the answers
  // proves the whole flood (300 MiB) reached the agent.
  int bad_requests = 0;
  zmq::pollitem_t item{flood.handle(), 0, ZMQ_POLLIN, 0};
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (bad_requests < 2 * kRounds && std::chrono::steady_clock::now() < give_up) {
    zmq::poll(&item, 1, 1000ms);
    std::vector<zmq::message_t> parts;
    while (receive_multipart(flood, parts)) {
      auto reply = protocol::decode_as<protocol::CallReply>(as_view(parts.back()));
      if (reply && reply->error.code == ErrorCode::bad_request) ++bad_requests;
    }
  }
  EXPECT_EQ(bad_requests, 2 * kRounds);
  expect_still_serving();
  const long after = resident_kib(agent->pid());
  // 300 MiB of junk went in; what stays must be small and not proportional to it.
  EXPECT_LT(after - before, 32 * 1024) << "RSS grew from " << before << " KiB to " << after << " KiB";
}

TEST_F(GarbageFrames, BusHubShrugsOffGarbage) {
  const auto hub = cluster.hub_endpoint(0);
  zmq::socket_t fake(context, zmq::socket_type::xpub);
  fake.set(zmq::sockopt::linger, 0);
  fake.connect(bus_address(hub)->announce);
  zmq::message_t subscription;
  ASSERT_TRUE(fake.recv(subscription));  // the hub subscribed: nothing sent below is lost
  zmq::socket_t asker(context, zmq::socket_type::dealer);
  asker.set(zmq::sockopt::linger, 0);
  asker.connect(hub);
  for (int i = 0; i < 50; ++i) {
    fake.send(zmq::str_buffer("\x93\x01garbage"), zmq::send_flags::none);
    asker.send(zmq::str_buffer("nonsense"), zmq::send_flags::none);
  }
  // A valid announcement after the garbage: once it is listed, the hub has
  // read (and dropped) everything before it.
  const Member late{"late", "i1", "tcp://127.0.0.1:9", {"web"}, 1, 0, 60000, "x"};
  fake.send(zmq::buffer(protocol::encode(protocol::Announce{late})), zmq::send_flags::none);
  ASSERT_TRUE(cluster.wait_for_members("web", {"late", "target"}));
  const auto log = cluster.agent_log("target");
  EXPECT_NE(log.find("event=announcement_dropped"), std::string::npos);
  expect_still_serving();
}

}  // namespace
}  // namespace rpclb::testing

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

// `rpclb members --watch` across a hub restart: what changed while the hub
// was away (here a member that left while no hub could hear it, which the
// restarted hub never knew) is reported once the hub is back, and stderr
// says the watch lost the hub and resynchronised.
// A member that said it left and one whose heartbeats stopped are told apart.
TEST(WatchAcrossFaults, AnExpiryIsReportedApartFromALeave) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  auto& leaving = cluster.start_agent("leaving", {"web"});
  auto& dying = cluster.start_agent("dying", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"dying", "leaving"}));
  auto& watch = cluster.rpclb_async({"members", "web", "--watch", "--json"}, "watch");
  auto printed = [&](const std::string& event, const std::string& name, std::chrono::milliseconds limit = 10s) {
    return Cluster::wait_until(
        [&] {
          for (const auto& json : cluster.json_lines_so_far("watch")) {
            if (json["event"] == event && json["member"]["name"] == name) return true;
          }
          return false;
        },
        limit);
  };
  ASSERT_TRUE(printed("join", "dying"));
  ASSERT_TRUE(printed("join", "leaving"));
  leaving.signal(SIGTERM);
  dying.signal(SIGKILL);
  EXPECT_TRUE(printed("leave", "leaving")) << cluster.output_so_far("watch");
  EXPECT_TRUE(printed("expire", "dying")) << cluster.output_so_far("watch");
  // The hub's leave that follows the expiry is not a second event.
  EXPECT_FALSE(printed("leave", "dying", 500ms)) << cluster.output_so_far("watch");
  watch.signal(SIGINT);
  EXPECT_EQ(watch.wait_for(5s), 0);
}

TEST(WatchAcrossFaults, AHubRestartIsNoticedAndWhatWasMissedIsReported) {
  Cluster cluster;
  auto& hub = cluster.start_hub_agent(0, "hub", {});
  auto& leaving = cluster.start_agent("leaving", {"web"});
  cluster.start_agent("staying", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"leaving", "staying"}));
  auto& watch = cluster.rpclb_async({"members", "web", "--watch"}, "watch");
  auto printed = [&](const std::string& text) {
    return Cluster::wait_until([&] { return cluster.output_so_far("watch").find(text) != std::string::npos; }, 20s);
  };
  auto said = [&](const std::string& text) {
    return Cluster::wait_until([&] { return read_file(cluster.dir() / "watch.err").find(text) != std::string::npos; },
                               20s);
  };
  ASSERT_TRUE(printed("join leaving"));
  ASSERT_TRUE(printed("join staying"));

  hub.signal(SIGKILL);
  ASSERT_TRUE(hub.wait_for(5s).has_value());
  EXPECT_TRUE(said("lost the bus hub at " + cluster.hub_endpoint(0)));
  leaving.signal(SIGTERM);  // its leave reaches no hub
  EXPECT_EQ(leaving.wait_for(10s), 0);
  cluster.start_hub_agent(0, "hub-again", {});
  ASSERT_TRUE(cluster.wait_for_members("web", {"staying"}));

  EXPECT_TRUE(printed("leave leaving"));
  EXPECT_TRUE(said("resynchronised with the bus after losing " + cluster.hub_endpoint(0) + ": "));
  // staying is still there in the end (a machine too slow for it to reach the
  // restarted hub before the snapshot shows it leave and join again).
  const auto out = cluster.output_so_far("watch");
  EXPECT_LT(out.rfind("leave staying") + 1, out.rfind("join staying") + 1) << out;
  watch.signal(SIGINT);
  EXPECT_EQ(watch.wait_for(5s), 0);
}

}  // namespace
}  // namespace rpclb::testing

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

// A fan-out over a thousand members: each member's connection (three ZeroMQ
// sockets) is closed once it has answered, so the default 1,023 sockets of a
// context are never the limit. The members are one test thread's ROUTER,
// bound on a thousand ports and announced to the hub by hand.
TEST(FanOutAtScale, AThousandMembersAreEachCalledOnce) {
  constexpr int kMembers = 1000;
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_cur < 4096 && files.rlim_max > files.rlim_cur) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 4096);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {}, {"--missed-heartbeats", "1000"});
  zmq::context_t context;
  auto members = make_socket(context, zmq::socket_type::router);
  std::vector<std::string> endpoints;
  for (int i = 0; i < kMembers; ++i) {
    members.bind("tcp://127.0.0.1:*");
    endpoints.push_back(members.get(zmq::sockopt::last_endpoint));
  }
  auto publisher = make_socket(context, zmq::socket_type::xpub);
  publisher.set(zmq::sockopt::sndhwm, 0);
  publisher.connect(bus_address(cluster.hub_endpoint(0))->announce);
  zmq::message_t subscription;
  ASSERT_TRUE(publisher.recv(subscription));  // the hub subscribed: nothing sent is lost on the way
  for (int i = 0; i < kMembers; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "fake-%04d", i);
    // This version's: calls name the member they are meant for.
    Member member{name, "fake", endpoints[i], {"wide"}, 1, 0, 60000, RPCLB_VERSION};
    publisher.send(zmq::buffer(protocol::encode(protocol::Announce{member})), zmq::send_flags::none);
  }
  ASSERT_TRUE(Cluster::wait_until([&] { return cluster.members("wide").size() == kMembers; }, 30s));

  std::atomic<bool> answering{true};
  std::atomic<int> answered{0};
  std::thread answerer([&] {
    std::vector<zmq::message_t> parts;
    while (answering) {
      zmq::pollitem_t item{members.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      while (receive_multipart(members, parts)) {
        if (parts.size() != 2) continue;  // the caller's identity and its one frame, as rpclb sends
        auto request = protocol::decode_as<protocol::CallRequest>(as_view(parts[1]));
        if (!request) continue;
        // As a real agent does, a call meant for someone else runs nothing:
        // a thousand ports may include one that another test's killed member
        // had, and that test's caller, still reaching for it, must hear what
        // a real agent would say (CI saw it answered, and counted here).
        const bool ours = request->member.starts_with("fake-") && request->instance == "fake";
        members.send(parts[0], zmq::send_flags::sndmore);
        members.send(zmq::buffer(protocol::encode_reply(
            ours ? protocol::CallReply::result(request->id, "\xc0")
                 : protocol::CallReply::failure(
                       request->id, {ErrorCode::service_unavailable, "the call was meant for " + request->member +
                                                                         ", but this is a test's fake member"}))));
        if (ours) ++answered;
      }
    }
  });
  // At the default --parallel, then at the widest: 256 connections in flight,
  // three ZeroMQ sockets and about four descriptors each, started with the
  // soft open-file limit most shells give (rpclb raises it itself).
  for (const auto* parallel : {"32", "256"}) {
    answered = 0;
    // The thousand fake members share this process's one ZeroMQ I/O thread,
    // which on a busy machine takes longer than the default 250 ms to answer
    // 256 handshakes at once: real members each have their own.
    const std::vector<std::string> args{"call",      "wide",  "sys.info",          "--all", "--parallel", parallel,
                                        "--timeout", "60000", "--connect-timeout", "30000"};
    rlimit usual = files;
    usual.rlim_cur = std::min<rlim_t>(files.rlim_cur, 1024);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &usual), 0);
    auto& running = cluster.rpclb_async(args, parallel);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
    auto fanned = cluster.collect(running, parallel, 90s);
    EXPECT_EQ(fanned.exit_code, 0) << parallel << ": " << fanned.err.substr(0, 2000)
                                   << fanned.out.substr(fanned.out.size() -
                                                        std::min<std::size_t>(fanned.out.size(), 600));
    EXPECT_EQ(fanned.lines().size(), static_cast<std::size_t>(kMembers)) << parallel;
    EXPECT_EQ(answered.load(), kMembers) << parallel;
  }
  answering = false;
  answerer.join();
}

}  // namespace
}  // namespace rpclb::testing
