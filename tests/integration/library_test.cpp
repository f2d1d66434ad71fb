// librpclb's public API (rpclb/rpclb.hpp) in-process: an embedded Agent
// serving its own handlers, and a Client calling it and real rpclb-agents.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "rpclb/payload_msgpack.hpp"
#include "rpclb/rpclb.hpp"
#include "tests/integration/embedded_agent.hpp"
#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

Result<Payload> add(const Request& request) {
  auto operands = request.args.as<std::tuple<int, int>>();
  if (!operands) return operands.error();
  return Payload::of(std::get<0>(*operands) + std::get<1>(*operands));
}

class Library : public ::testing::Test {
 protected:
  void SetUp() override { cluster.start_hub_agent(0, "hub", {"infra"}); }

  AgentOptions agent_options(const std::string& name, const std::string& group) {
    return embedded_agent_options(cluster, name, group);
  }

  ClientOptions client_options(const std::string& group, const std::string& algorithm = "random") {
    ClientOptions options;
    options.group = group;
    options.bus = {cluster.hub_endpoint(0)};
    options.algorithm = algorithm;
    options.membership_refresh = 0ms;  // see joins and leaves at once
    return options;
  }

  Cluster cluster;
};

TEST_F(Library, EmbeddedAgentServesItsHandlersToTheClientAndTheCli) {
  auto agent = Agent::create(agent_options("adder", "math"));
  ASSERT_TRUE(agent) << agent.error().message;
  ASSERT_TRUE(agent->handle("math.add", add));
  ASSERT_TRUE(agent->start());
  EXPECT_TRUE(agent->endpoint().starts_with("tcp://127.0.0.1:")) << agent->endpoint();
  ASSERT_TRUE(cluster.wait_for_members("math", {"adder"}));

  auto client = Client::create(client_options("math"));
  ASSERT_TRUE(client) << client.error().message;
  auto reply = client->call("math.add", args(2, 3));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->node.name, "adder");
  EXPECT_EQ(reply->node.endpoint, agent->endpoint());
  EXPECT_EQ(*reply->value.as<int>(), 5);
  // The built-ins come with every embedded agent.
  auto info = client->call("sys.info");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_NE(info->value.json().find("\"name\":\"adder\""), std::string::npos) << info->value.json();

  auto cli = cluster.rpclb({"call", "math", "math.add", "20", "22", "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.json(), nlohmann::json::parse(R"({"node":"adder","result":42})"));
}

TEST_F(Library, HandlerErrorsReachTheCallerWithTheirCodes) {
  auto agent = Agent::create(agent_options("svc", "errors"));
  ASSERT_TRUE(agent);
  ASSERT_TRUE(agent->handle("math.add", add));
  ASSERT_TRUE(agent->handle("acct.find", [](const Request&) -> Result<Payload> {
    return Error{ErrorCode::not_found, "no such account"};
  }));
  ASSERT_TRUE(agent->handle("acct.crash", [](const Request&) -> Result<Payload> { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(agent->start());
  ASSERT_TRUE(cluster.wait_for_members("errors", {"svc"}));
  auto client = Client::create(client_options("errors"));
  ASSERT_TRUE(client);

  auto missing = client->call("acct.find", args("alice"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_NE(missing.error().message.find("no such account"), std::string::npos) << missing.error().message;

  auto crashed = client->call("acct.crash");
  ASSERT_FALSE(crashed);
  EXPECT_EQ(crashed.error().code, ErrorCode::internal);
  EXPECT_NE(crashed.error().message.find("boom"), std::string::npos) << crashed.error().message;

  auto wrong_types = client->call("math.add", args("two", "three"));
  ASSERT_FALSE(wrong_types);
  EXPECT_EQ(wrong_types.error().code, ErrorCode::bad_request);

  auto unknown = client->call("math.divide", args(1, 0));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);

  // Arguments are an array; a bare value is refused before anything is sent.
  auto not_array = client->call("math.add", Payload::of(5));
  ASSERT_FALSE(not_array);
  EXPECT_EQ(not_array.error().code, ErrorCode::bad_request);

  // The agent served on after all of that.
  auto fine = client->call("math.add", args(1, 1));
  ASSERT_TRUE(fine) << fine.error().message;
  EXPECT_EQ(*fine->value.as<int>(), 2);
}

// stop() from several threads at once, and again after: every caller
// returns once the agent is gone, and none of them crashes or hangs.
TEST_F(Library, StopIsSafeFromManyThreadsAndTwice) {
  auto agent = Agent::create(agent_options("stopper", "stops"));
  ASSERT_TRUE(agent) << agent.error().message;
  ASSERT_TRUE(agent->start());
  ASSERT_TRUE(cluster.wait_for_members("stops", {"stopper"}));
  std::atomic<int> returned{0};
  std::vector<std::thread> stoppers;
  for (int i = 0; i < 4; ++i) {
    stoppers.emplace_back([&] {
      agent->stop();
      ++returned;
    });
  }
  for (auto& thread : stoppers) thread.join();
  EXPECT_EQ(returned.load(), 4);
  agent->stop();
  EXPECT_TRUE(cluster.wait_for_members("stops", {}));
}

TEST_F(Library, OptionsAndRegistrationsAreCheckedUpFront) {
  auto agent = Agent::create(agent_options("strict", "checks"));
  ASSERT_TRUE(agent);
  EXPECT_EQ(agent->handle("nodot", add).error().code, ErrorCode::bad_request);
  EXPECT_EQ(agent->handle("sys.echo", add).error().code, ErrorCode::bad_request);
  EXPECT_EQ(agent->handle("math.add", Handler{}).error().code, ErrorCode::bad_request);
  ASSERT_TRUE(agent->handle("math.add", add));
  EXPECT_EQ(agent->handle("math.add", add).error().code, ErrorCode::bad_request);
  ASSERT_TRUE(agent->start());
  EXPECT_EQ(agent->handle("math.late", add).error().code, ErrorCode::bad_request);
  EXPECT_EQ(agent->start().error().code, ErrorCode::bad_request);

  // A second agent on the first one's port cannot bind.
  auto options = agent_options("clash", "checks");
  options.listen = agent->endpoint();
  auto clash = Agent::create(options);
  ASSERT_TRUE(clash);
  auto started = clash->start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::service_unavailable);

  auto bad_level = agent_options("x", "checks");
  bad_level.log_level = "loud";
  EXPECT_EQ(Agent::create(bad_level).error().code, ErrorCode::bad_request);
  auto bad_weight = agent_options("x", "checks");
  bad_weight.weight = 0;
  EXPECT_EQ(Agent::create(bad_weight).error().code, ErrorCode::bad_request);
  auto bad_listen = agent_options("x", "checks");
  bad_listen.listen = "udp://nowhere";
  EXPECT_EQ(Agent::create(bad_listen).error().code, ErrorCode::bad_request);
  auto half_curve = agent_options("x", "checks");
  half_curve.curve_secret_file = "/nonexistent.key";
  EXPECT_EQ(Agent::create(half_curve).error().code, ErrorCode::bad_request);

  auto no_group = client_options("");
  EXPECT_EQ(Client::create(no_group).error().code, ErrorCode::bad_request);
  EXPECT_EQ(Client::create(client_options("checks", "fastest")).error().code, ErrorCode::bad_request);
  auto bad_match = client_options("checks");
  bad_match.match = {"/([/"};
  EXPECT_EQ(Client::create(bad_match).error().code, ErrorCode::bad_request);
  auto bad_opt = client_options("checks", "hash_ring");
  bad_opt.algorithm_options = {{"vnodes", "many"}};
  EXPECT_EQ(Client::create(bad_opt).error().code, ErrorCode::bad_request);
  auto no_connect_time = client_options("checks");
  no_connect_time.connect_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(Client::create(no_connect_time).error().code, ErrorCode::bad_request);
  // The same ranges as the rpclb command's flags, each named.
  auto spendthrift = client_options("checks");
  spendthrift.failure_memory.retry_budget_percent = 1001;
  EXPECT_EQ(Client::create(spendthrift).error().message,
            "failure_memory.retry_budget_percent must be from 0 to 1000, got 1001");
  auto backwards = client_options("checks");
  backwards.bus_timeout = std::chrono::milliseconds(-5);
  EXPECT_EQ(Client::create(backwards).error().message, "bus_timeout (ms) must be from 1 to 600000, got -5");
  auto persistent = client_options("checks");
  persistent.retries = 101;
  EXPECT_EQ(Client::create(persistent).error().code, ErrorCode::bad_request);
  auto widest = client_options("checks");
  widest.retries = 100;
  widest.failure_memory.retry_budget_percent = 1000;
  widest.timeout = std::chrono::hours(24);
  EXPECT_TRUE(Client::create(widest).ok());

  auto client = Client::create(client_options("nobody-here"));
  ASSERT_TRUE(client);
  EXPECT_EQ(client->members().error().code, ErrorCode::service_unavailable);
}

TEST_F(Library, ClientSelectsReleasesAndCastsLikeTheModel) {
  cluster.start_agent("w1", {"work"});
  cluster.start_agent("w2", {"work"});
  cluster.start_agent("w3", {"work"});
  ASSERT_TRUE(cluster.wait_for_members("work", {"w1", "w2", "w3"}));

  auto least = Client::create(client_options("work", "least_connections"));
  ASSERT_TRUE(least);
  auto members = least->members();
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 3u);
  EXPECT_EQ((*members)[0].name, "w1");
  EXPECT_EQ((*members)[0].groups, std::vector<std::string>{"work"});
  // Each selection is in use until released, so three choices cover all three.
  std::set<std::string> chosen;
  for (int i = 0; i < 3; ++i) chosen.insert(least->select()->name);
  EXPECT_EQ(chosen, (std::set<std::string>{"w1", "w2", "w3"}));
  ASSERT_TRUE(least->release("w2"));
  EXPECT_EQ(least->select()->name, "w2");
  EXPECT_EQ(least->release("").error().code, ErrorCode::bad_request);

  auto ring = Client::create(client_options("work", "hash_ring"));
  ASSERT_TRUE(ring);
  const CallOptions user{.timeout = std::nullopt, .key = "user-42"};
  auto owner = ring->select(user);
  ASSERT_TRUE(owner) << owner.error().message;
  auto replicas = ring->select_n(2, user);
  ASSERT_TRUE(replicas);
  ASSERT_EQ(replicas->size(), 2u);
  EXPECT_EQ(replicas->front().name, owner->name);
  EXPECT_NE((*replicas)[1].name, owner->name);
  EXPECT_EQ(ring->select().error().code, ErrorCode::bad_request);  // hash_ring needs a key

  auto only = client_options("work", "round_robin");
  only.match = {"w3"};
  auto matched = Client::create(only);
  ASSERT_TRUE(matched);
  auto accepted = matched->cast("sys.sleep", args(1));
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(accepted->name, "w3");
  auto echoed = matched->call("sys.echo", args("hi", 2));
  ASSERT_TRUE(echoed) << echoed.error().message;
  EXPECT_EQ(echoed->value.json(), R"(["hi",2])");
}

TEST_F(Library, TimeoutsAreRequestTimeoutAndStopDrainsInFlightCalls) {
  auto agent = Agent::create(agent_options("slow", "slow"));
  ASSERT_TRUE(agent);
  std::atomic<int> started{0};
  ASSERT_TRUE(agent->handle("slow.wait", [&](const Request& request) -> Result<Payload> {
    ++started;
    const auto ms = request.args.as<std::tuple<int>>();
    if (!ms) return ms.error();
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::get<0>(*ms));
    while (std::chrono::steady_clock::now() < until && !request.stop.stop_requested()) std::this_thread::sleep_for(5ms);
    return Payload::of("done");
  }));
  ASSERT_TRUE(agent->start());
  ASSERT_TRUE(cluster.wait_for_members("slow", {"slow"}));

  auto impatient = Client::create(client_options("slow"));
  ASSERT_TRUE(impatient);
  auto late = impatient->call("slow.wait", args(1000), {.timeout = 200ms, .key = std::nullopt});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::request_timeout);

  // A call in flight when stop() begins still gets its answer.
  Result<Reply> in_flight = Error{ErrorCode::internal, "not run"};
  std::thread caller([&] {
    auto client = Client::create(client_options("slow"));
    if (client) in_flight = client->call("slow.wait", args(300));
  });
  ASSERT_TRUE(Cluster::wait_until([&] { return started == 2; }));
  agent->stop();
  caller.join();
  ASSERT_TRUE(in_flight) << in_flight.error().message;
  EXPECT_EQ(*in_flight->value.as<std::string>(), "done");
  // And the agent has left the group.
  EXPECT_EQ(impatient->members().error().code, ErrorCode::service_unavailable);
  agent->stop();  // idempotent
}

// A handler that ignores its stop token cannot hold stop() past the drain:
// its caller hears `internal` when the drain ends, stop() returns about a
// second later (WorkerPool::kAbandonAfter), and the handler is left to
// finish on its own, its result dropped.
TEST_F(Library, StopIsBoundedWhenAHandlerIgnoresItsStopToken) {
  auto options = agent_options("stubborn", "stubborn");
  options.drain_timeout = 300ms;
  auto agent = Agent::create(options);
  ASSERT_TRUE(agent);
  struct Flags {
    std::atomic<bool> entered{false};
    std::atomic<bool> released{false};
    std::atomic<bool> returned{false};
  };
  auto flags = std::make_shared<Flags>();
  ASSERT_TRUE(agent->handle("stubborn.wait", [flags](const Request&) -> Result<Payload> {
    flags->entered = true;
    for (const auto give_up = std::chrono::steady_clock::now() + 30s;
         !flags->released && std::chrono::steady_clock::now() < give_up;) {
      std::this_thread::sleep_for(5ms);
    }
    flags->returned = true;
    return Payload::of("late");
  }));
  ASSERT_TRUE(agent->start());
  ASSERT_TRUE(cluster.wait_for_members("stubborn", {"stubborn"}));
  auto client = Client::create(client_options("stubborn"));
  ASSERT_TRUE(client);
  auto call = client->call_async("stubborn.wait", args(), {.timeout = 20s, .key = std::nullopt});
  ASSERT_TRUE(Cluster::wait_until([&] { return flags->entered.load(); }));

  const auto stopping = std::chrono::steady_clock::now();
  agent->stop();
  const auto took = std::chrono::steady_clock::now() - stopping;
  EXPECT_LT(took, 300ms + 1s + 2s) << "stop() waited for the handler";
  ASSERT_EQ(call.wait_for(5s), std::future_status::ready);
  auto reply = call.get();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::internal) << reply.error().message;
  EXPECT_FALSE(flags->returned.load());
  flags->released = true;
  EXPECT_TRUE(Cluster::wait_until([&] { return flags->returned.load(); }));
}

}  // namespace
}  // namespace rpclb::testing
