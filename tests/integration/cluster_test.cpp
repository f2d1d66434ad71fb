// End-to-end behaviour against real agents on 127.0.0.1.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <fstream>
#include <set>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

class ThreeAgents : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster.start_hub_agent(0, "alpha", {"web"});
    cluster.start_agent("beta", {"web", "db"});
    cluster.start_agent("gamma", {"web", "db"});
    ASSERT_TRUE(cluster.wait_for_members("web", {"alpha", "beta", "gamma"}));
    ASSERT_TRUE(cluster.wait_for_members("db", {"beta", "gamma"}));
  }
  Cluster cluster;
};

TEST_F(ThreeAgents, MembersListsExactlyTheGroup) {
  auto result = cluster.rpclb({"members", "db", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto members = result.json();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0]["name"], "beta");
  EXPECT_EQ(members[1]["name"], "gamma");
  for (const auto& member : members) {
    EXPECT_TRUE(member["endpoint"].get<std::string>().starts_with("tcp://127.0.0.1:"));
    EXPECT_EQ(member["weight"], 1);
    EXPECT_TRUE(member.contains("load"));
  }
}

TEST_F(ThreeAgents, CallEchoReturnsItsArguments) {
  auto result = cluster.rpclb({"call", "web", "sys.echo", "hello", "42", R"({"k":[1,2]})", "not json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.json(), nlohmann::json::parse(R"(["hello",42,{"k":[1,2]},"not json"])"));
  EXPECT_TRUE(result.err.empty());
}

TEST_F(ThreeAgents, NegativeNumbersPassAfterDoubleDash) {
  auto result = cluster.rpclb({"call", "web", "sys.echo", "--", "-5"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.json(), nlohmann::json::parse("[-5]"));
}

TEST_F(ThreeAgents, RoundRobinVisitsEachNodeOnceInThreeCalls) {
  std::vector<std::string> served_by;
  for (int i = 0; i < 3; ++i) {
    auto result = cluster.rpclb({"call", "web", "sys.info", "--algorithm", "round_robin"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    served_by.push_back(result.json()["name"]);
  }
  EXPECT_EQ(served_by, (std::vector<std::string>{"alpha", "beta", "gamma"}));
}

TEST_F(ThreeAgents, SelectReturnsDistinctMembers) {
  auto result = cluster.rpclb({"select", "web", "-n", "5"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = result.lines();
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), (std::set<std::string>{"alpha", "beta", "gamma"}));
  EXPECT_EQ(lines.size(), 3u);
}

TEST_F(ThreeAgents, MatchIsExactOrWholeRegex) {
  auto exact = cluster.rpclb({"select", "web", "--match", "beta"});
  ASSERT_EQ(exact.exit_code, 0) << exact.err;
  EXPECT_EQ(exact.lines(), (std::vector<std::string>{"beta"}));
  // A substring is not a match.
  auto substring = cluster.rpclb({"select", "web", "--match", "bet"});
  EXPECT_EQ(substring.exit_code, 4);
  // A regex must match the whole name: /b.t/ is in "beta" but is not "beta".
  auto part = cluster.rpclb({"select", "web", "--match", "/b.t/"});
  EXPECT_EQ(part.exit_code, 4) << part.out;
  // Any pattern may match: one regex and one exact name give exactly those two.
  auto regex = cluster.rpclb({"select", "web", "-n", "3", "--match", "/b.ta/", "--match", "alpha"});
  ASSERT_EQ(regex.exit_code, 0) << regex.err;
  auto lines = regex.lines();
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), (std::set<std::string>{"alpha", "beta"}));
}

TEST_F(ThreeAgents, UnknownFunctionIsNotFound) {
  auto result = cluster.rpclb({"call", "web", "nope.missing"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("rpclb: not_found:"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST_F(ThreeAgents, EmptyGroupIsServiceUnavailableWithoutWaiting) {
  auto result = cluster.rpclb({"call", "nobody-here", "sys.echo", "--timeout", "20000"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_NE(result.err.find("no members in group nobody-here"), std::string::npos) << result.err;
  // The hub answered "empty" at once; nothing waited for the 20 s deadline.
  EXPECT_LT(result.elapsed, 10s);
}

TEST_F(ThreeAgents, SleepingCallTimesOutOnItsDeadline) {
  auto result = cluster.rpclb({"call", "web", "sys.sleep", "8000", "--timeout", "300"});
  EXPECT_EQ(result.exit_code, 5) << result.err;
  EXPECT_NE(result.err.find("request_timeout"), std::string::npos);
  EXPECT_GE(result.elapsed, 300ms);
  EXPECT_LT(result.elapsed, 6s);  // well before the sleep would have ended
}

TEST_F(ThreeAgents, CastReturnsOnceAccepted) {
  auto result = cluster.rpclb({"cast", "web", "sys.sleep", "5000", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.json()["accepted"], true);
  EXPECT_LT(result.elapsed, 4s);  // did not wait for the 5 s sleep
  // And it runs: the node it names now has a call in flight.
  const auto node = result.json()["node"].get<std::string>();
  EXPECT_TRUE(Cluster::wait_until([&] {
    auto members = cluster.rpclb({"members", "web", "--json", "--match", node});
    return members.exit_code == 0 && members.json()[0]["load"] == 1;
  }));
}

TEST_F(ThreeAgents, JsonErrorsGoToStderr) {
  auto result = cluster.rpclb({"call", "web", "nope.missing", "--json"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_TRUE(result.out.empty());
  const auto error = nlohmann::json::parse(result.err);
  EXPECT_EQ(error["error"]["code"], "not_found");
}

TEST_F(ThreeAgents, BadUsageIsBadRequest) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"select", "web", "--algorithm", "fastest"},
           {"select", "web", "--match", "/[/"},
           {"select", "web", "--opt", "novalue"},
           {"call", "web", "notafunction"},
           {"call"},
           {"frobnicate"},
       }) {
    auto result = cluster.rpclb(args);
    EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.err;
    EXPECT_TRUE(result.err.starts_with("rpclb: bad_request: ")) << result.err;
  }
  auto algorithm = cluster.rpclb({"select", "web", "--algorithm", "fastest"});
  EXPECT_NE(algorithm.err.find("round_robin"), std::string::npos) << "error should list the valid choices";
}

// released says whether an outstanding selection was dropped: true once per
// selection, false for a node (or group) this caller holds nothing of.
TEST_F(ThreeAgents, ReleaseSaysWhetherASelectionWasOutstanding) {
  auto chosen = cluster.rpclb({"select", "web", "--algorithm", "least_connections"});
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  const auto node = chosen.lines().at(0);
  auto plain = cluster.rpclb({"release", "web", node});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, "");
  auto again = cluster.rpclb({"release", "web", node, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.json(), (nlohmann::json{{"node", node}, {"released", false}}));

  ASSERT_EQ(cluster.rpclb({"select", "web", "--algorithm", "least_connections"}).exit_code, 0);
  auto nodes = cluster.rpclb({"members", "web"}).lines();
  int released = 0;
  for (const auto& name : nodes) {
    auto result = cluster.rpclb({"release", "web", name, "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    released += result.json()["released"].get<bool>() ? 1 : 0;
  }
  EXPECT_EQ(released, 1);
  auto unknown = cluster.rpclb({"release", "nosuchgroup", "nosuchnode", "--json"});
  ASSERT_EQ(unknown.exit_code, 0) << unknown.err;
  EXPECT_EQ(unknown.json()["released"], false);
}

// `rpclb release` gives back this caller's own hold only: a script's
// release never takes the count of a call still running on the host. The
// call's own count goes when it does (interrupted here).
TEST_F(ThreeAgents, ReleaseGivesBackOnlyThisCallersOwnHold) {
  auto outstanding = [&] {
    auto members = cluster.rpclb({"members", "web", "--match", "beta", "--json"});
    return members.exit_code == 0 ? members.json()[0]["outstanding"].get<long>() : -1;
  };
  auto& call = cluster.rpclb_async({"call", "web", "sys.sleep", "60000", "--match", "beta", "--algorithm",
                                    "least_connections", "--timeout", "60000"},
                                   "call");
  ASSERT_TRUE(Cluster::wait_until([&] { return outstanding() == 1; }));
  ASSERT_EQ(cluster.rpclb({"select", "web", "--match", "beta", "--algorithm", "least_connections"}).exit_code, 0);
  EXPECT_EQ(outstanding(), 2);
  auto own = cluster.rpclb({"release", "web", "beta", "--json"});
  EXPECT_EQ(own.json()["released"], true) << own.out << own.err;
  EXPECT_EQ(outstanding(), 1);
  auto others = cluster.rpclb({"release", "web", "beta", "--json"});
  EXPECT_EQ(others.json()["released"], false) << others.out << others.err;
  EXPECT_EQ(outstanding(), 1) << "the running call's hold was given back by a script";
  call.signal(SIGINT);
  EXPECT_TRUE(call.wait_for(std::chrono::seconds(10)).has_value());
  EXPECT_EQ(outstanding(), 0);
}

TEST(Keygen, WritesAKeypairOnceAndSaysSoInJson) {
  Cluster cluster;
  const auto prefix = (cluster.dir() / "client").string();
  auto made = cluster.rpclb({"keygen", prefix, "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto reply = made.json();
  EXPECT_EQ(reply["secret_file"], prefix + ".key");
  EXPECT_EQ(reply["public_file"], prefix + ".pub");
  EXPECT_EQ(reply["public"].get<std::string>().size(), 40u);  // Z85 of 32 bytes
  // Never overwrites a key: the error is one JSON object on stderr.
  auto again = cluster.rpclb({"keygen", prefix, "--json"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.out, "");
  const auto error = nlohmann::json::parse(again.err);
  EXPECT_EQ(error["error"]["code"], "bad_request");
  EXPECT_NE(error["error"]["message"].get<std::string>().find("exists"), std::string::npos);
}

TEST(Functions, AllowlistedProgramsGetArgumentsLiterally) {
  Cluster cluster;
  const auto functions = cluster.dir() / "functions.conf";
  std::ofstream(functions) << "[text.join]\nprogram = /usr/bin/printf\nargs = \"%s|\"\n";
  cluster.start_hub_agent(0, "worker", {"jobs"}, {"--functions", functions.string()});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"worker"}));
  // An argument that parses as JSON is the JSON value: "\"q\"" is the string q.
  auto result =
      cluster.rpclb({"call", "jobs", "text.join", "a;b", "$(id)", "`id`", "say \"hi\"", "'s'", "x y", "\"q\""});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto value = result.json();
  EXPECT_EQ(value["exit_code"], 0);
  EXPECT_EQ(value["stdout"], "a;b|$(id)|`id`|say \"hi\"|'s'|x y|q|");
  // Anything not on the list does not run, even a real program.
  auto denied = cluster.rpclb({"call", "jobs", "bin.sh", "--", "-c", "id"});
  EXPECT_EQ(denied.exit_code, 3) << denied.err;
}

TEST(Functions, PerFunctionTimeAndOutputLimitsHold) {
  Cluster cluster;
  const auto functions = cluster.dir() / "functions.conf";
  std::ofstream(functions) << "[slow.sleep]\nprogram = /bin/sleep\ntimeout_ms = 200\n"
                           << "[loud.zeros]\nprogram = /usr/bin/head\nargs = -c 100000 /dev/zero\n"
                           << "max_output_bytes = 1000\n";
  cluster.start_hub_agent(0, "worker", {"jobs"}, {"--functions", functions.string()});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"worker"}));
  auto slow = cluster.rpclb({"call", "jobs", "slow.sleep", "30", "--timeout", "20000"});
  EXPECT_EQ(slow.exit_code, 5) << slow.err;
  EXPECT_NE(slow.err.find("time limit"), std::string::npos) << slow.err;
  EXPECT_LT(slow.elapsed, 10s);
  auto loud = cluster.rpclb({"call", "jobs", "loud.zeros"});
  ASSERT_EQ(loud.exit_code, 0) << loud.err;
  EXPECT_EQ(loud.json()["stdout"].get<std::string>().size(), 1000u);
  EXPECT_EQ(loud.json()["truncated"], true);
}

// SIGHUP reads the functions file again: what changed is logged, calls see
// the new list, and a file that cannot be used keeps the old one (and says
// why). The agent stays on the bus throughout.
TEST(Functions, SighupReloadsTheFunctionsFileAndABadOneChangesNothing) {
  Cluster cluster;
  const auto functions = cluster.dir() / "functions.conf";
  std::ofstream(functions) << "[old.echo]\nprogram = /bin/echo\nargs = old\n"
                           << "[kept.echo]\nprogram = /bin/echo\nargs = kept\n";
  auto& agent = cluster.start_hub_agent(0, "worker", {"jobs"}, {"--functions", functions.string()});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"worker"}));
  ASSERT_EQ(cluster.rpclb({"call", "jobs", "old.echo"}).exit_code, 0);
  auto logged = [&](const std::string& text) {
    return Cluster::wait_until([&] { return cluster.agent_log("worker").find(text) != std::string::npos; });
  };

  std::ofstream(functions, std::ios::trunc) << "[new.echo]\nprogram = /bin/echo\nargs = new\n"
                                            << "[kept.echo]\nprogram = /bin/echo\nargs = changed\n";
  agent.signal(SIGHUP);
  ASSERT_TRUE(logged("event=functions_reloaded")) << cluster.agent_log("worker");
  EXPECT_TRUE(logged("added=new.echo removed=old.echo changed=kept.echo programs=2")) << cluster.agent_log("worker");
  auto renewed = cluster.rpclb({"call", "jobs", "new.echo"});
  ASSERT_EQ(renewed.exit_code, 0) << renewed.err;
  EXPECT_EQ(renewed.json()["stdout"], "new\n");
  EXPECT_EQ(cluster.rpclb({"call", "jobs", "old.echo"}).exit_code, 3);

  std::ofstream(functions, std::ios::trunc) << "[broken.sh]\nprogram = sh\n";
  agent.signal(SIGHUP);
  ASSERT_TRUE(logged("event=functions_reload_failed")) << cluster.agent_log("worker");
  EXPECT_TRUE(logged("program must be an absolute path")) << cluster.agent_log("worker");
  EXPECT_EQ(cluster.rpclb({"call", "jobs", "new.echo"}).exit_code, 0);
  EXPECT_EQ(cluster.members("jobs"), std::vector<std::string>{"worker"});
  EXPECT_FALSE(agent.wait_for(std::chrono::milliseconds(0)).has_value()) << "SIGHUP stopped the agent";
}

TEST(Functions, BadFunctionsFileStopsTheAgentWithAClearError) {
  Cluster cluster;
  const auto functions = cluster.dir() / "bad.conf";
  std::ofstream(functions) << "[x.y]\nprogram = sh\n";
  auto& agent = cluster.start_agent("broken", {"jobs"}, {"--functions", functions.string()});
  EXPECT_EQ(agent.wait_for(10s), 2);
  EXPECT_NE(cluster.agent_log("broken").find("line 2: program must be an absolute path"), std::string::npos);
}

}  // namespace
}  // namespace rpclb::testing

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

// Under systemd (Type=notify), the agent says READY=1 once it serves and
// STOPPING=1 when a stop begins its drain, on $NOTIFY_SOCKET; with a
// watchdog ($WATCHDOG_USEC), WATCHDOG=1 every half period while it runs.
TEST(Systemd, TheAgentNotifiesReadinessItsDrainAndItsWatchdog) {
  Cluster cluster;
  const auto path = cluster.dir() / "notify.sock";
  const int manager = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(manager, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(manager, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::string heard;
  auto hear = [&](const std::string& text) {
    return Cluster::wait_until([&] {
      char datagram[4096];
      for (ssize_t got; (got = ::recv(manager, datagram, sizeof datagram, MSG_DONTWAIT)) > 0;) {
        heard.append(datagram, static_cast<std::size_t>(got)).push_back('\n');
      }
      return heard.find(text) != std::string::npos;
    });
  };
  auto beats = [&] {
    std::size_t count = 0;
    for (auto at = heard.find("WATCHDOG=1"); at != std::string::npos; at = heard.find("WATCHDOG=1", at + 1)) ++count;
    return count;
  };
  cluster.extra_env.push_back("NOTIFY_SOCKET=" + path.string());
  cluster.extra_env.push_back("WATCHDOG_USEC=200000");
  auto& agent = cluster.start_hub_agent(0, "managed", {"web"});
  EXPECT_TRUE(hear("READY=1")) << heard;
  EXPECT_TRUE(hear("STATUS=serving at tcp://")) << heard;
  EXPECT_EQ(heard.find("STOPPING=1"), std::string::npos) << heard;
  ASSERT_TRUE(cluster.wait_for_members("web", {"managed"}));
  // Every 100 ms; three are there however slowly this machine runs.
  EXPECT_TRUE(Cluster::wait_until([&] { return hear("WATCHDOG=1") && beats() >= 3; })) << heard;
  agent.signal(SIGTERM);
  EXPECT_TRUE(hear("STOPPING=1")) << heard;
  EXPECT_EQ(agent.wait_for(10s), 0);
  ::close(manager);
}

TEST(AgentStartup, TakenBusPortIsAClearError) {
  Cluster cluster;
  cluster.start_hub_agent(0, "first", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"first"}));
  auto& second = cluster.start_hub_agent(0, "second", {"web"});
  EXPECT_EQ(second.wait_for(10s), 4);
  EXPECT_NE(cluster.agent_log("second").find("cannot bind bus"), std::string::npos) << cluster.agent_log("second");
}

TEST(AgentStartup, UnknownOptionIsBadRequest) {
  Cluster cluster;
  auto& agent = cluster.start_agent("x", {"web"}, {"--frobnicate"});
  EXPECT_EQ(agent.wait_for(10s), 2);
  EXPECT_NE(cluster.agent_log("x").find("rpclb-agent: bad_request:"), std::string::npos);
}

}  // namespace
}  // namespace rpclb::testing
