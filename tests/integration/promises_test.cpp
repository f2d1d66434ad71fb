// README promises, each checked where it crosses a process: the real agent
// and the real rpclb. Every test here was written to catch a mutation in
// tests/mutation/mutations.txt (run scripts/mutate).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <zmq.hpp>

#include "common/endpoint.hpp"
#include "common/json_msgpack.hpp"
#include "common/protocol.hpp"
#include "common/zmq_helpers.hpp"
#include "rpclb/payload_msgpack.hpp"
#include "rpclb/rpclb.hpp"
#include "tests/integration/embedded_agent.hpp"
#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

TEST(AgentLimits, MaxQueueRefusesCallsBeyondIt) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  cluster.start_agent("narrow", {"jobs"}, {"--max-queue", "1", "--workers", "4"});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"narrow"}));
  auto& busy = cluster.rpclb_async({"call", "jobs", "sys.sleep", "3000", "--timeout", "20000"}, "busy");
  ASSERT_TRUE(cluster.wait_for_load("jobs", 1));
  auto refused = cluster.rpclb({"call", "jobs", "sys.sleep", "10", "--retries", "0"});
  EXPECT_EQ(refused.exit_code, 4) << refused.out;
  EXPECT_NE(refused.err.find("node narrow is at capacity"), std::string::npos) << refused.err;
  EXPECT_EQ(cluster.collect(busy, "busy", 20s).exit_code, 0);
  // Room again once the call is done.
  EXPECT_EQ(cluster.rpclb({"call", "jobs", "sys.sleep", "10"}).exit_code, 0);
}

TEST(StateFolder, StateFolderIsPrivateAndAnotherUsersIsRefused) {
  Cluster cluster;
  cluster.start_hub_agent(0, "alpha", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"alpha"}));
  // Created 0700 where it is missing.
  const auto fresh = cluster.dir() / "fresh-state";
  cluster.extra_env = {"RPCLB_STATE_DIR=" + fresh.string()};
  ASSERT_EQ(cluster.rpclb({"select", "web", "--algorithm", "round_robin"}).exit_code, 0);
  struct stat info {};
  ASSERT_EQ(::stat(fresh.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  // Refused when another user owns it (tests run as root, who can hand it over).
  if (::getuid() != 0) GTEST_SKIP() << "needs root to give the folder to another user";
  ASSERT_EQ(::chown(fresh.c_str(), 65534, 65534), 0);
  auto refused = cluster.rpclb({"select", "web", "--algorithm", "round_robin"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("belongs to another user"), std::string::npos) << refused.err;
  // Stateless algorithms still choose without it (losing only the failure memory).
  EXPECT_EQ(cluster.rpclb({"select", "web"}).exit_code, 0);
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.echo"}).exit_code, 0);
  auto listed = cluster.rpclb({"--json", "members", "web"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.err.find("failure memory is not shown"), std::string::npos) << listed.err;
}

// One member whose test.wait hangs, one whose test.wait returns at once;
// round_robin starts at the hanging one.
class HangingMember : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(cluster.dir() / "hang.conf", "[test.wait]\nprogram = /bin/sleep\nargs = 30\n");
    write_file(cluster.dir() / "quick.conf", "[test.wait]\nprogram = /bin/true\n");
    cluster.start_hub_agent(0, "hub", {});
    cluster.start_agent("a-hangs", {"web"}, {"--functions", (cluster.dir() / "hang.conf").string()});
    cluster.start_agent("b-quick", {"web"}, {"--functions", (cluster.dir() / "quick.conf").string()});
    ASSERT_TRUE(cluster.wait_for_members("web", {"a-hangs", "b-quick"}));
  }
  Cluster cluster;
};

TEST_F(HangingMember, TimeoutsAreNotRetriedUnlessAskedAndThenShareTheDeadline) {
  auto plain = cluster.rpclb({"call", "web", "test.wait", "--algorithm", "round_robin", "--timeout", "1500"});
  EXPECT_EQ(plain.exit_code, 5) << plain.err;
  // From the client's deadline or the agent's (which kills the program then): one attempt either way.
  EXPECT_NE(plain.err.find("request_timeout"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find("(after"), std::string::npos) << plain.err;
  // Back to a-hangs, the first in the rotation.
  ASSERT_EQ(cluster.rpclb({"select", "web", "--algorithm", "round_robin"}).lines(),
            (std::vector<std::string>{"b-quick"}));
  // Two attempts share 6 s: a-hangs gets 3 s, then b-quick answers.
  auto retried = cluster.rpclb({"--json", "call", "web", "test.wait", "--algorithm", "round_robin", "--timeout", "6000",
                                "--retry-on-timeout", "--retries", "1"});
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.json()["node"], "b-quick");
  EXPECT_LT(retried.elapsed, 6000ms + 1000ms);
}

// Stand-in bus hubs on the test's side, one member each. Both answer
// together, once each has been asked, so the two answers reach the client
// back to back however slowly this machine runs; once told, hub 1 is silent.
class FakeHubPair {
 public:
  FakeHubPair(zmq::context_t& context, const std::array<std::string, 2>& endpoints, std::array<Member, 2> members)
      : sockets_{zmq::socket_t(context, zmq::socket_type::router), zmq::socket_t(context, zmq::socket_type::router)},
        members_(std::move(members)) {
    for (std::size_t i = 0; i < 2; ++i) {
      sockets_[i].set(zmq::sockopt::linger, 0);
      sockets_[i].bind(endpoints[i]);
    }
    thread_ = std::thread([this] { serve(); });
  }
  FakeHubPair(const FakeHubPair&) = delete;
  FakeHubPair& operator=(const FakeHubPair&) = delete;
  ~FakeHubPair() {
    stop_ = true;
    thread_.join();
  }
  void silence_the_second() { second_silent_ = true; }

 private:
  void serve() {
    std::array<zmq::pollitem_t, 2> items{
        {{sockets_[0].handle(), 0, ZMQ_POLLIN, 0}, {sockets_[1].handle(), 0, ZMQ_POLLIN, 0}}};
    std::array<std::optional<zmq::message_t>, 2> waiting;  // each asker's routing id
    std::vector<zmq::message_t> parts;
    while (!stop_) {
      zmq::poll(items.data(), items.size(), 20ms);
      for (std::size_t i = 0; i < 2; ++i) {
        while (receive_multipart(sockets_[i], parts)) {
          if (parts.size() == 3) waiting[i] = std::move(parts[0]);
        }
      }
      const bool pair_asked = waiting[0] && waiting[1];
      for (std::size_t i = 0; i < 2; ++i) {
        const bool silent = i == 1 && second_silent_;
        if (!waiting[i] || silent || !(pair_asked || second_silent_)) continue;
        sockets_[i].send(*waiting[i], zmq::send_flags::sndmore);
        sockets_[i].send(zmq::message_t(), zmq::send_flags::sndmore);
        sockets_[i].send(zmq::buffer(protocol::encode(protocol::Snapshot{{members_[i]}})), zmq::send_flags::none);
        waiting[i].reset();
      }
      if (second_silent_) waiting[1].reset();
    }
  }

  std::array<zmq::socket_t, 2> sockets_;
  std::array<Member, 2> members_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> second_silent_{false};
  std::thread thread_;
};

// With two hubs, a one-shot client merges what both say when the second
// answers within 30 ms of the first, and does not wait for a silent one.
TEST(BusDiscovery, TwoHubsAreMergedAndASilentOneCostsOnly30Ms) {
  Cluster cluster;
  zmq::context_t context;
  const Member here{"here", "i0", "tcp://127.0.0.1:9", {"web"}, 1, 0, 1000, "x"};
  const Member elsewhere{"elsewhere", "i1", "tcp://127.0.0.1:9", {"web"}, 1, 0, 1000, "x"};
  FakeHubPair hubs(context, {cluster.hub_endpoint(0), cluster.hub_endpoint(1)}, {here, elsewhere});
  auto both = cluster.rpclb({"members", "web"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(both.out, "elsewhere\nhere\n");
  hubs.silence_the_second();
  auto one = cluster.rpclb({"members", "web", "--bus-timeout", "5000"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "here\n");
  EXPECT_LT(one.elapsed, 2000ms) << "waited for the silent hub";
}

// --timeout is the whole command's deadline, discovery included: a hub that
// takes the question and never answers costs every command no more than
// --timeout (here 200 ms, with --bus-timeout allowing 5 s), plus a process's
// start and end (bounded at 2 s, for a slow machine: still well under 5 s).
TEST(BusDiscovery, TimeoutBoundsDiscoveryWhenTheHubIsSilent) {
  Cluster cluster;
  zmq::context_t context;
  auto silent = make_socket(context, zmq::socket_type::router);
  silent.bind(cluster.hub_endpoint(0));
  const std::vector<std::vector<std::string>> commands{{"members", "web"},
                                                       {"select", "web"},
                                                       {"call", "web", "sys.echo"},
                                                       {"cast", "web", "sys.echo"},
                                                       {"groups"},
                                                       {"ping", "web"},
                                                       {"stats", "web"},
                                                       {"call", "web", "sys.echo", "--all"},
                                                       {"status", "node"},
                                                       {"members", "web", "--watch"}};
  for (auto command : commands) {
    command.insert(command.end(), {"--timeout", "200", "--bus-timeout", "5000"});
    auto result = cluster.rpclb(command);
    EXPECT_EQ(result.exit_code, 7) << command[0] << ": " << result.err;
    EXPECT_NE(result.err.find("rpclb: service_unavailable: no bus hub answered"), std::string::npos)
        << command[0] << ": " << result.err;
    EXPECT_LT(result.elapsed, 2200ms) << command[0] << " waited for the silent hub past --timeout";
  }
}

TEST(Match, MatchPatternsAreWholeNames) {
  Cluster cluster;
  cluster.start_hub_agent(0, "web-1", {"web"});
  cluster.start_agent("web-10", {"web"});
  cluster.start_agent("api-1", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"api-1", "web-1", "web-10"}));
  EXPECT_EQ(cluster.rpclb({"members", "web", "--match", "web-1"}).out, "web-1\n");
  EXPECT_EQ(cluster.rpclb({"members", "web", "--match", "/web-[0-9]/"}).out, "web-1\n");
  EXPECT_EQ(cluster.rpclb({"members", "web", "--match", "/web-[0-9]+/"}).out, "web-1\nweb-10\n");
  // Any pattern may match.
  EXPECT_EQ(cluster.rpclb({"members", "web", "--match", "api-1", "--match", "/web-1./"}).out, "api-1\nweb-10\n");
  // Every call honours it too.
  for (int i = 0; i < 4; ++i) {
    auto call = cluster.rpclb({"--json", "call", "web", "sys.echo", "--match", "/web-1/"});
    ASSERT_EQ(call.exit_code, 0) << call.err;
    EXPECT_EQ(call.json()["node"], "web-1");
  }
}

TEST(ReleaseCounts, ReleaseNeverTakesACountBelowZero) {
  Cluster cluster;
  cluster.start_hub_agent(0, "alpha", {"web"});
  cluster.start_agent("beta", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"alpha", "beta"}));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(cluster.rpclb({"release", "web", "alpha"}).exit_code, 0);
  // Both at zero: two selections (each held) go to different members.
  auto first = cluster.rpclb({"select", "web", "--algorithm", "least_connections"});
  auto second = cluster.rpclb({"select", "web", "--algorithm", "least_connections"});
  ASSERT_EQ(first.exit_code, 0);
  ASSERT_EQ(second.exit_code, 0);
  EXPECT_NE(first.out, second.out);
}

// The same through the library with its state in memory, where a count
// below zero would survive (a state file drops non-positive counts as it is
// read, so the CLI cannot show the difference).
TEST(ReleaseCounts, LibraryReleaseNeverTakesACountBelowZero) {
  Cluster cluster;
  cluster.start_hub_agent(0, "alpha", {"web"});
  cluster.start_agent("beta", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"alpha", "beta"}));
  ClientOptions options;
  options.group = "web";
  options.bus = {cluster.hub_endpoint(0)};
  options.algorithm = "least_connections";
  auto client = Client::create(options);
  ASSERT_TRUE(client) << client.error().message;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->release("alpha"));
  auto first = client->select();
  auto second = client->select();
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->name, second->name);
}

// Names are unique: a second live agent with a name already on the bus is
// refused (it exits, naming the holder) and the holder keeps its entry; the
// hubs log the conflict. A stop of the refused one removes nothing.
TEST(NameClaims, ASecondLiveAgentCannotTakeAName) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  auto& holder = cluster.start_agent("twin", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"twin"}));
  const auto endpoint = cluster.rpclb({"members", "web", "--json"}).json()[0]["endpoint"].get<std::string>();
  auto& newcomer = cluster.start_agent("twin", {"web", "api"}, {"--log-level", "info"});
  EXPECT_EQ(newcomer.wait_for(10s), 2);
  const auto log = cluster.agent_log("twin");
  EXPECT_NE(log.find("name twin is taken on the bus by a live agent at " + endpoint), std::string::npos) << log;
  EXPECT_NE(cluster.agent_log("hub").find("event=name_conflict member=twin"), std::string::npos)
      << cluster.agent_log("hub");
  auto listed = cluster.rpclb({"members", "web", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.json()[0]["endpoint"], endpoint);
  EXPECT_EQ(cluster.members("api"), std::vector<std::string>{});
  EXPECT_TRUE(holder.running());
}

// Two agents with one name, both started before any hub is up: once the hub
// is, it keeps whichever it heard first, and the other one exits.
TEST(NameClaims, OfTwinsStartedBeforeTheHubTheOneRefusedExits) {
  Cluster cluster;
  auto& first = cluster.start_agent("twin", {"web"});
  auto& second = cluster.start_agent("twin", {"web"});
  std::this_thread::sleep_for(500ms);
  cluster.start_hub_agent(0, "hub", {});
  ASSERT_TRUE(cluster.wait_for_members("web", {"twin"}));
  ASSERT_TRUE(Cluster::wait_until([&] { return !first.running() || !second.running(); }, 10s));
  auto& refused = first.running() ? second : first;
  auto& kept = first.running() ? first : second;
  EXPECT_EQ(refused.wait_for(1s), 2);
  std::this_thread::sleep_for(300ms);  // a few heartbeats: the kept one stays, the only one left
  EXPECT_TRUE(kept.running());
  EXPECT_EQ(cluster.members("web"), std::vector<std::string>{"twin"});
  auto served = cluster.rpclb({"--json", "call", "web", "sys.info"});
  ASSERT_EQ(served.exit_code, 0) << served.err;
  EXPECT_EQ(served.json()["result"]["pid"], kept.pid());
}

TEST(HashRing, HashRingReplicaWalkWrapsAround) {
  Cluster cluster;
  cluster.start_hub_agent(0, "n1", {"web"});
  cluster.start_agent("n2", {"web"});
  cluster.start_agent("n3", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"n1", "n2", "n3"}));
  // One point per member: most keys land where a walk that does not wrap finds fewer than 3.
  for (int key = 0; key < 12; ++key) {
    auto chosen = cluster.rpclb(
        {"select", "web", "-n", "3", "--algorithm", "hash_ring", "--opt", "vnodes=1", "--key", std::to_string(key)});
    ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
    auto lines = chosen.lines();
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()).size(), 3u) << "key " << key << ": " << chosen.out;
  }
}

TEST(WireFrames, FramesWithTrailingBytesAreRefused) {
  Cluster cluster;
  cluster.start_hub_agent(0, "target", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"target"}));
  const auto endpoint = cluster.rpclb({"members", "web", "--json"}).json()[0]["endpoint"].get<std::string>();
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(endpoint);
  const auto call =
      protocol::encode(protocol::CallRequest{5, protocol::CallMode::call, "sys.echo", "", 1000, {}, {}, {}, {}});
  socket.send(zmq::message_t(), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(call + "\x01"), zmq::send_flags::none);
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, 5000ms);
  std::vector<zmq::message_t> parts;
  ASSERT_TRUE(receive_multipart(socket, parts));
  auto reply = protocol::decode_as<protocol::CallReply>(as_view(parts.back()));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->kind, protocol::CallReply::Kind::error);
  EXPECT_EQ(reply->error.code, ErrorCode::bad_request);
  EXPECT_NE(reply->error.message.find("trailing bytes"), std::string::npos) << reply->error.message;
}

// A call whose deadline passes while it waits for a worker is answered
// request_timeout and never runs (protocol 2.2): the agent's one worker
// sleeps 1.5 s, and the call queued behind it gives the agent 200 ms.
TEST(AgentLimits, ACallWhoseDeadlinePassedWhileQueuedIsATimeoutAndNeverRuns) {
  Cluster cluster;
  write_file(cluster.dir() / "mark.conf", "[test.mark]\nprogram = /usr/bin/touch\n");
  cluster.start_hub_agent(0, "one", {"web"}, {"--workers", "1", "--functions", (cluster.dir() / "mark.conf").string()});
  ASSERT_TRUE(cluster.wait_for_members("web", {"one"}));
  const auto endpoint = cluster.rpclb({"members", "web", "--json"}).json()[0]["endpoint"].get<std::string>();
  const auto marker = cluster.dir() / "ran";
  zmq::context_t context;
  auto socket = make_socket(context, zmq::socket_type::dealer);
  socket.connect(endpoint);
  // One connection: the agent takes its requests in the order sent.
  for (const auto& request :
       {protocol::CallRequest{1, protocol::CallMode::call, "sys.sleep", json_to_msgpack({1500}), 10000, {}, {}, {}, {}},
        protocol::CallRequest{
            2, protocol::CallMode::call, "test.mark", json_to_msgpack({marker.string()}), 200, {}, {}, {}, {}}}) {
    socket.send(zmq::message_t(), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(protocol::encode(request)), zmq::send_flags::none);
  }
  std::map<std::uint64_t, protocol::CallReply> replies;
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  std::vector<zmq::message_t> parts;
  while (replies.size() < 2 && std::chrono::steady_clock::now() < give_up) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, 100ms);
    while (receive_multipart(socket, parts)) {
      auto reply = protocol::decode_as<protocol::CallReply>(as_view(parts.back()));
      ASSERT_TRUE(reply.ok()) << reply.error().message;
      replies.emplace(reply->id, std::move(reply).value());
    }
  }
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies.at(1).kind, protocol::CallReply::Kind::result) << replies.at(1).error.message;
  EXPECT_EQ(replies.at(2).kind, protocol::CallReply::Kind::error);
  EXPECT_EQ(replies.at(2).error.code, ErrorCode::request_timeout) << replies.at(2).error.message;
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the call ran after its deadline";
}

// Exit code 1 is a failed function; a program's own non-zero exit is a result.
TEST(ExitCodes, FailedFunctionsExitOneAndAFailedProgramExitsSixWithItsResult) {
  Cluster cluster;
  write_file(cluster.dir() / "f.conf",
             "[t.fails]\nprogram = /bin/false\n[t.missing]\nprogram = /nonexistent/program\n");
  cluster.start_hub_agent(0, "solo", {"web"}, {"--functions", (cluster.dir() / "f.conf").string()});
  ASSERT_TRUE(cluster.wait_for_members("web", {"solo"}));
  auto fails = cluster.rpclb({"call", "web", "t.fails"});
  EXPECT_EQ(fails.exit_code, 6) << fails.err;
  EXPECT_EQ(fails.json()["exit_code"], 1);
  auto missing = cluster.rpclb({"call", "web", "t.missing"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("internal: cannot start /nonexistent/program"), std::string::npos) << missing.err;
}

// A library handler that returns more than a frame can hold: the caller
// hears internal, naming the size, at once rather than at its timeout.
TEST(AgentLimits, OversizeResultsAreNamedErrorsNotTimeouts) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  auto agent = Agent::create(embedded_agent_options(cluster, "generous", "big"));
  ASSERT_TRUE(agent) << agent.error().message;
  ASSERT_TRUE(agent->handle("big.result", [](const Request&) -> Result<Payload> {
    return Payload::of(std::string(protocol::kMaxFrameBytes + 1, 'r'));
  }));
  ASSERT_TRUE(agent->start());
  ASSERT_TRUE(cluster.wait_for_members("big", {"generous"}));
  auto result = cluster.rpclb({"call", "big", "big.result", "--timeout", "20000"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("over the frame limit of " + std::to_string(protocol::kMaxFrameBytes)), std::string::npos)
      << result.err;
  EXPECT_LT(result.elapsed, 10s);
}

// The whole path over ipc:// endpoints: a hub, an agent's RPC socket, the CLI.
TEST(Endpoints, IpcEndpointsWorkEndToEnd) {
  Cluster cluster;
  const auto bus = "ipc://" + (cluster.dir() / "bus").string();
  cluster.pass_bus_flags = false;
  cluster.client_args = {"--bus", bus};
  cluster.start_agent("local", {"web"},
                      {"--serve-bus", bus, "--bus", bus, "--listen", "ipc://" + (cluster.dir() / "rpc").string()});
  ASSERT_TRUE(cluster.wait_for_members("web", {"local"}));
  auto listed = cluster.rpclb({"members", "web", "--json"});
  EXPECT_EQ(listed.json()[0]["endpoint"], "ipc://" + (cluster.dir() / "rpc").string());
  auto call = cluster.rpclb({"call", "web", "sys.echo", "over-ipc"});
  ASSERT_EQ(call.exit_code, 0) << call.err;
  EXPECT_EQ(call.json(), nlohmann::json::array({"over-ipc"}));
}

TEST(Endpoints, AdvertisedEndpointIsWhatCallersAreTold) {
  Cluster cluster;
  const auto rpc = "tcp://127.0.0.1:" + std::to_string(free_port_triple());
  cluster.start_hub_agent(0, "hub", {});
  cluster.start_agent("public", {"web"},
                      {"--listen", "tcp://0.0.0.0:" + rpc.substr(rpc.rfind(':') + 1), "--advertise", rpc});
  ASSERT_TRUE(cluster.wait_for_members("web", {"public"}));
  EXPECT_EQ(cluster.rpclb({"members", "web", "--json"}).json()[0]["endpoint"], rpc);
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.echo"}).exit_code, 0);
}

TEST(Keygen, KeygenWritesAPrivateSecretAndAReadablePublicKey) {
  Cluster cluster;
  const auto prefix = (cluster.dir() / "pair").string();
  ASSERT_EQ(cluster.rpclb({"keygen", prefix}).exit_code, 0);
  struct stat secret {};
  struct stat public_key {};
  ASSERT_EQ(::stat((prefix + ".key").c_str(), &secret), 0);
  ASSERT_EQ(::stat((prefix + ".pub").c_str(), &public_key), 0);
  EXPECT_EQ(secret.st_mode & 0777, 0600u);
  EXPECT_EQ(public_key.st_mode & 0777, 0644u);
}

// Without RPCLB_STATE_DIR, state lives in $XDG_RUNTIME_DIR/rpclb, made private.
TEST(StateFolder, StateFolderDefaultsToTheRuntimeDir) {
  Cluster cluster;
  cluster.start_hub_agent(0, "alpha", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"alpha"}));
  const auto runtime = cluster.dir() / "runtime";
  std::filesystem::create_directories(runtime);
  cluster.extra_env = {"RPCLB_STATE_DIR=", "XDG_RUNTIME_DIR=" + runtime.string()};
  ASSERT_EQ(cluster.rpclb({"select", "web", "--algorithm", "round_robin"}).exit_code, 0);
  struct stat info {};
  ASSERT_EQ(::stat((runtime / "rpclb").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_FALSE(std::filesystem::is_empty(runtime / "rpclb"));
}

// --watch in plain text: one line per event, flushed as it happens; a weight
// shows on join, an expiry (kill -9) as an expire, and SIGTERM ends it with 0.
TEST(Watch, WatchPlainLinesExpiriesAndSigterm) {
  Cluster cluster;
  cluster.start_hub_agent(0, "a", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a"}));
  auto& watch = cluster.rpclb_async({"members", "web", "--watch"}, "watch");
  auto printed = [&](const std::string& text) {
    return Cluster::wait_until([&] { return cluster.output_so_far("watch").find(text) != std::string::npos; });
  };
  ASSERT_TRUE(printed("join a endpoint=tcp://127.0.0.1:"));
  auto& heavy = cluster.start_agent("heavy", {"web"}, {"--weight", "7"});
  EXPECT_TRUE(printed("join heavy endpoint=tcp://127.0.0.1:"));
  EXPECT_TRUE(printed(" load=0 weight=7\n"));
  heavy.signal(SIGKILL);
  EXPECT_TRUE(printed("expire heavy "));
  EXPECT_TRUE(Cluster::wait_until(
      [&] { return cluster.agent_log("a").find("event=member_expired member=heavy") != std::string::npos; }));
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait_for(5s), 0);
}

}  // namespace
}  // namespace rpclb::testing
