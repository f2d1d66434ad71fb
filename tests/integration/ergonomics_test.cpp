// Shell-facing subcommands: groups, ping, status, and fan-out calls.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

class Ergonomics : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto functions = cluster.dir() / "functions.conf";
    std::ofstream(functions) << "[only.here]\nprogram = /bin/echo\nargs = here\n";
    // Members stay listed while silent, so a stopped one is pinged, not expired mid-test.
    cluster.start_hub_agent(0, "a", {"web", "db"}, {"--functions", functions.string(), "--missed-heartbeats", "1000"});
    frozen = &cluster.start_agent("b", {"web"});
    cluster.start_agent("c", {"web"});
    ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b", "c"}));
  }
  Cluster cluster;
  Process* frozen = nullptr;
};

TEST_F(Ergonomics, GroupsListsEveryGroupWithItsSize) {
  auto plain = cluster.rpclb({"groups"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.lines(), (std::vector<std::string>{"db 1", "web 3"}));
  auto json = cluster.rpclb({"groups", "--json"});
  EXPECT_EQ(json.json(), nlohmann::json::parse(R"([{"group":"db","members":1},{"group":"web","members":3}])"));
}

TEST_F(Ergonomics, PingReportsEachMemberAndFailsIfOneIsSilent) {
  auto healthy = cluster.rpclb({"ping", "web", "--json"});
  ASSERT_EQ(healthy.exit_code, 0) << healthy.err;
  ASSERT_EQ(healthy.json().size(), 3u);
  for (const auto& member : healthy.json()) {
    // Measured inside this one command, so bounded by its own run time.
    const auto rtt = member["rtt_ms"].get<double>();
    EXPECT_GT(rtt, 0.0);
    EXPECT_LT(rtt, static_cast<double>(healthy.elapsed.count()) + 1.0);
    EXPECT_EQ(member["in_flight"], 0);
    EXPECT_GT(member["uptime_ms"].get<long>(), 0);
    EXPECT_EQ(member["version"], RPCLB_VERSION);
  }
  frozen->signal(SIGSTOP);
  auto partial = cluster.rpclb({"ping", "web", "--timeout", "800"});
  frozen->signal(SIGCONT);
  // A stopped process never finishes the handshake: nothing was sent to it.
  EXPECT_EQ(partial.exit_code, 4) << partial.out;
  ASSERT_EQ(partial.lines().size(), 3u);
  EXPECT_TRUE(partial.lines()[1].starts_with("b service_unavailable: timed out connecting")) << partial.lines()[1];
}

TEST_F(Ergonomics, StatusFindsANodeAnywhereOnTheBus) {
  auto found = cluster.rpclb({"status", "c", "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(found.json()[0]["name"], "c");
  auto missing = cluster.rpclb({"status", "nobody"});
  EXPECT_EQ(missing.exit_code, 4);
}

TEST_F(Ergonomics, CallAllGivesOneResultPerNode) {
  auto result = cluster.rpclb({"call", "web", "sys.echo", "hi", "--all", "--parallel", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // In the order the answers arrived.
  auto lines = result.lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"a\t[\"hi\"]", "b\t[\"hi\"]", "c\t[\"hi\"]"}));
}

TEST_F(Ergonomics, CallAllFailsIfAnyNodeFails) {
  auto result = cluster.rpclb({"call", "web", "only.here", "--all", "--json"});
  EXPECT_EQ(result.exit_code, 3);
  const auto lines = result.json();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["node"], "a");
  EXPECT_EQ(lines[0]["result"]["stdout"], "here\n");
  EXPECT_EQ(lines[1]["error"]["code"], "not_found");
  EXPECT_EQ(lines[2]["error"]["code"], "not_found");
}

// Mid-rollout only a serves only.here: a member that lacks it ran nothing,
// so the call goes on to another, as for one that could not take it, and
// --trace shows each not_found on the way.
TEST_F(Ergonomics, AMemberThatLacksTheFunctionIsPassedOverForOneThatHasIt) {
  for (int i = 0; i < 4; ++i) {
    auto called = cluster.rpclb({"call", "web", "only.here", "--json", "--trace"});
    ASSERT_EQ(called.exit_code, 0) << called.err;
    EXPECT_EQ(called.json()["node"], "a");
    EXPECT_EQ(called.json()["result"]["stdout"], "here\n");
    for (const auto& line : called.lines_of_err()) {
      const bool on_a = line.find(" member=a ") != std::string::npos;
      EXPECT_NE(line.find(on_a ? " outcome=ok " : " outcome=not_found "), std::string::npos) << line;
    }
  }
  // Out of members that have it: not_found, as before.
  auto none = cluster.rpclb({"call", "web", "only.here", "--match", "b", "--match", "c"});
  EXPECT_EQ(none.exit_code, 3) << none.err;
}

TEST_F(Ergonomics, CallCountPicksDistinctMembers) {
  auto result = cluster.rpclb({"call", "web", "sys.info", "-n", "2", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(result.json().size(), 2u);
  EXPECT_NE(result.json()[0]["node"], result.json()[1]["node"]);
  EXPECT_EQ(result.json()[0]["node"], result.json()[0]["result"]["name"]);
}

TEST_F(Ergonomics, WatchPrintsJoinsLoadChangesAndLeavesUntilInterrupted) {
  auto& watch = cluster.rpclb_async({"members", "web", "--watch", "--json"}, "watch");
  auto events = [&] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& event : cluster.json_lines_so_far("watch"))
      out.emplace_back(event["event"], event["member"]["name"]);
    return out;
  };
  auto saw = [&](const std::string& event, const std::string& name) {
    return Cluster::wait_until([&] {
      const auto seen = events();
      return std::find(seen.begin(), seen.end(), std::make_pair(event, name)) != seen.end();
    });
  };
  // The current members first...
  ASSERT_TRUE(saw("join", "a"));
  ASSERT_TRUE(saw("join", "c"));
  // ...then changes as they happen.
  auto& newcomer = cluster.start_agent("d", {"web"});
  EXPECT_TRUE(saw("join", "d"));
  ASSERT_EQ(cluster.rpclb({"cast", "web", "sys.sleep", "3000", "--match", "d"}).exit_code, 0);
  EXPECT_TRUE(saw("update", "d"));
  newcomer.signal(SIGTERM);
  EXPECT_TRUE(saw("leave", "d"));
  watch.signal(SIGINT);
  EXPECT_EQ(watch.wait_for(5s), 0);
}

// A watch of one group says nothing of members outside it (e joins web
// only; b, in web only, gets busy), and each update carries the member's new
// state: a's load going to 1 as a call starts, and back to 0 as it ends.
TEST_F(Ergonomics, WatchReportsOnlyItsGroupAndEachUpdateCarriesTheNewState) {
  cluster.rpclb_async({"members", "db", "--watch", "--json"}, "watch");
  auto events = [&] { return cluster.json_lines_so_far("watch"); };
  // Whether a's loads, as its updates say, went through `loads` in order.
  auto updated_through = [&](std::vector<int> loads) {
    for (const auto& event : events()) {
      if (!loads.empty() && event["event"] == "update" && event["member"]["load"] == loads.front()) {
        loads.erase(loads.begin());
      }
    }
    return loads.empty();
  };
  ASSERT_TRUE(Cluster::wait_until([&] { return !events().empty(); }));
  cluster.start_agent("e", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b", "c", "e"}));
  ASSERT_EQ(cluster.rpclb({"cast", "web", "sys.sleep", "1000", "--match", "b"}).exit_code, 0);
  ASSERT_EQ(cluster.rpclb({"cast", "web", "sys.sleep", "1000", "--match", "a"}).exit_code, 0);
  // The hub publishes in order: once a's return to 0 is seen, b's and e's
  // changes (made before it) would have been too.
  EXPECT_TRUE(Cluster::wait_until([&] { return updated_through({1, 0}); })) << cluster.output_so_far("watch");
  for (const auto& event : events()) {
    EXPECT_EQ(event["member"]["name"], "a") << event.dump();
  }
  EXPECT_EQ(events().front()["event"], "join");
}

// A member that cannot take a cast is shown as an error on its own line,
// never as accepted, and the fan-out exits with the failure's code.
TEST_F(Ergonomics, CastAllShowsAMemberThatFailedAsAnErrorNeverAccepted) {
  auto plain = cluster.rpclb({"cast", "web", "only.here", "--all"});
  EXPECT_EQ(plain.exit_code, 3) << plain.err;
  auto lines = plain.lines();  // in the order the answers arrived
  std::sort(lines.begin(), lines.end());
  ASSERT_EQ(lines.size(), 3u) << plain.out;
  EXPECT_EQ(lines[0], "a\taccepted");
  EXPECT_EQ(lines[1], "b\t{\"code\":\"not_found\",\"message\":\"node b has no function only.here\"}");
  EXPECT_EQ(lines[2], "c\t{\"code\":\"not_found\",\"message\":\"node c has no function only.here\"}");
  auto json = cluster.rpclb({"cast", "web", "only.here", "--all", "--json"});
  EXPECT_EQ(json.exit_code, 3) << json.err;
  ASSERT_EQ(json.json().size(), 3u) << json.out;
  EXPECT_EQ(json.json()[0], (nlohmann::json{{"node", "a"}, {"accepted", true}}));
  for (int i : {1, 2}) {
    EXPECT_FALSE(json.json()[i].contains("accepted")) << json.json()[i].dump();
    EXPECT_EQ(json.json()[i]["error"]["code"], "not_found") << json.json()[i].dump();
  }
}

// A cast is refused as a call would be when its member does not serve the
// function: not_found, exit 3, and nothing printed as accepted.
TEST_F(Ergonomics, CastOfAFunctionTheMemberDoesNotServeIsNotFound) {
  auto refused = cluster.rpclb({"cast", "web", "only.here", "--match", "b"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_EQ(refused.out, "");
  EXPECT_EQ(refused.err, "rpclb: not_found: node b has no function only.here\n");
  auto json = cluster.rpclb({"cast", "web", "only.here", "--match", "c", "--json"});
  EXPECT_EQ(json.exit_code, 3);
  EXPECT_EQ(json.out, "");
  EXPECT_NE(json.err.find(R"("code":"not_found")"), std::string::npos) << json.err;
  auto served = cluster.rpclb({"cast", "web", "only.here", "--match", "a"});
  EXPECT_EQ(served.exit_code, 0) << served.err;
  EXPECT_EQ(served.out, "a\n");
}

// `rpclb stats` prints what the members that answered said, names each one
// that did not on stderr, and exits with the failure's code.
TEST_F(Ergonomics, StatsExitsWithTheFailuresCodeAndStillPrintsTheOthers) {
  frozen->signal(SIGSTOP);
  // b's connection times out after --connect-timeout (250 ms); a and c have
  // the rest of --timeout to answer, however busy the machine.
  auto plain = cluster.rpclb({"stats", "web", "--timeout", "3000"});
  auto json = cluster.rpclb({"stats", "web", "--timeout", "3000", "--json"});
  frozen->signal(SIGCONT);
  EXPECT_EQ(plain.exit_code, 4) << plain.err;
  EXPECT_NE(plain.err.find("b"), std::string::npos) << plain.err;
  EXPECT_NE(plain.err.find("service_unavailable"), std::string::npos) << plain.err;
  std::set<std::string> reporting;
  for (const auto& line : plain.lines()) reporting.insert(line.substr(0, line.find(' ')));
  EXPECT_EQ(reporting, (std::set<std::string>{"a", "c"})) << plain.out;
  EXPECT_EQ(json.exit_code, 4) << json.err;
  ASSERT_EQ(json.json().size(), 3u) << json.out;
  EXPECT_EQ(json.json()[1]["name"], "b");
  EXPECT_EQ(json.json()[1]["error"]["code"], "service_unavailable") << json.json()[1].dump();
  EXPECT_FALSE(json.json()[0]["metrics"].empty());
}

// A call that fails is counted under its error code, by the agent that
// refused it; a function it does not serve, under function="unknown".
TEST_F(Ergonomics, AgentMetricsCountAFailedCallUnderItsErrorCode) {
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.sleep", "-5", "--match", "c"}).exit_code, 2);
  EXPECT_EQ(cluster.rpclb({"call", "web", "no.such", "--match", "c"}).exit_code, 3);
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.echo", "--match", "c"}).exit_code, 0);
  auto stats = cluster.rpclb({"stats", "web", "--match", "c", "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto calls = metric_samples(stats.json()[0], "rpclb_calls_total", {"function", "mode", "code"});
  EXPECT_EQ(calls["sys.sleep call bad_request"], 1) << stats.out;
  EXPECT_EQ(calls["unknown call not_found"], 1) << stats.out;
  EXPECT_EQ(calls["sys.echo call ok"], 1) << stats.out;
  EXPECT_EQ(calls.count("sys.sleep call ok"), 0u) << stats.out;
}

// --parallel P keeps at most P calls in flight: one at a time, three
// sleeps of 700 ms cannot end sooner than 2.1 s (all at once would take 0.7).
TEST_F(Ergonomics, ParallelBoundsTheCallsInFlight) {
  auto serial = cluster.rpclb({"call", "web", "sys.sleep", "700", "--all", "--parallel", "1"});
  ASSERT_EQ(serial.exit_code, 0) << serial.err;
  EXPECT_EQ(serial.lines(), (std::vector<std::string>{"a\t700", "b\t700", "c\t700"}));
  EXPECT_GE(serial.elapsed, 2100ms) << "more than one call was in flight at once";
}

// Help says what the README says: the exit codes, and every option.
TEST(Help, EveryCommandHasHelpAndTheTopLevelNamesTheExitCodes) {
  Cluster cluster;
  cluster.pass_bus_flags = false;
  auto top = cluster.rpclb({"--help"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  for (const auto* line :
       {"  0  ok", "  1  internal ", "  2  bad_request ", "  3  not_found ", "  4  service_unavailable ",
        "  5  request_timeout ", "  6  ", "  7  service_unavailable ", "  130, 143  "}) {
    EXPECT_NE(top.out.find(line), std::string::npos) << "rpclb --help lacks '" << line << "'";
  }
  const std::map<std::string, std::vector<std::string>> options{
      {"members", {"--match", "--watch"}},
      {"select", {"--count", "--algorithm", "--opt", "--key", "--match", "--wait-for-member"}},
      {"call",
       {"--all", "--count", "--parallel", "--args", "--args-file", "--retries", "--retry-on-timeout", "--trace",
        "--request-id", "--wait-for-member", "--json-lines", "--quiet", "--raw", "--gather", "--stdin", "--arg-file"}},
      {"cast", {"--all", "--parallel", "--args", "--retries", "--trace", "--json-lines", "--quiet"}},
      {"release", {"--algorithm"}},
      {"groups", {}},
      {"ping", {"--match"}},
      {"status", {}},
      {"stats", {"--match"}},
      {"keygen", {}}};
  for (const auto& [command, flags] : options) {
    auto help = cluster.rpclb({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command << ": " << help.err;
    EXPECT_NE(help.out.find("Usage:"), std::string::npos) << command << ": " << help.out;
    for (const auto& flag : flags) EXPECT_NE(help.out.find(flag), std::string::npos) << command << " --help: " << flag;
  }
  for (const auto* flag :
       {"--timeout", "--bus-timeout", "--connect-timeout", "--bus", "--json", "--curve-secret", "--curve-server-key",
        "--algorithm-plugin", "--eject-after-timeouts", "--eject-base", "--eject-max", "--max-ejected-percent",
        "--retry-budget", "--retry-floor", "--selection-ttl"}) {
    EXPECT_NE(top.out.find(flag), std::string::npos) << "rpclb --help: " << flag;
  }
}

// The manual pages and shell completion come from the definitions --help
// prints: every flag a program's --help lists (each command's, for rpclb) is
// in its manual page and offered when completing "--" after that command.
TEST(Help, EveryFlagIsInTheManualAndOfferedByCompletion) {
  Cluster cluster;
  const auto run = [&](const std::vector<std::string>& argv, const std::string& tag) {
    Process process(argv, isolated_environment(cluster.dir()), cluster.dir() / (tag + ".out"),
                    cluster.dir() / (tag + ".err"));
    EXPECT_EQ(process.wait_for(30s), 0) << tag << ": " << read_file(cluster.dir() / (tag + ".err"));
    return read_file(cluster.dir() / (tag + ".out"));
  };
  // Option lines of --help: "  -n,--count UINT ..." or "  --watch ...".
  const auto flags_in = [](const std::string& help) {
    std::set<std::string> flags;
    std::istringstream lines(help);
    for (std::string line; std::getline(lines, line);) {
      const auto start = line.find_first_not_of(' ');
      if (start == std::string::npos || start == 0 || line[start] != '-') continue;
      const auto names = line.substr(start, line.find(' ', start) - start);
      for (std::size_t at = names.find("--"); at != std::string::npos; at = names.find("--", at + 2)) {
        flags.insert(names.substr(at, names.find_first_of(", ", at) - at));
      }
    }
    return flags;
  };
  // The manual as text: roff's \- is a hyphen, \fB and \fR only change the font.
  const auto plain = [](std::string page) {
    for (const std::string mark : {"\\fB", "\\fI", "\\fR"}) {
      for (auto at = page.find(mark); at != std::string::npos; at = page.find(mark)) page.erase(at, mark.size());
    }
    for (auto at = page.find("\\-"); at != std::string::npos; at = page.find("\\-")) page.erase(at, 1);
    return page;
  };
  for (const auto& [program, commands] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {binary("RPCLB_CLI_BIN"),
            {"", "members", "select", "call", "cast", "release", "groups", "ping", "status", "stats", "keygen"}},
           {binary("RPCLB_AGENT_BIN"), {""}}}) {
    const auto manual = plain(run({program, "__man"}, "man"));
    EXPECT_NE(manual.find(".SH EXIT STATUS"), std::string::npos);
    EXPECT_NE(manual.find(".SH EXAMPLES"), std::string::npos);
    EXPECT_NE(manual.find(".SH THE FUNCTIONS FILE"), std::string::npos);
    for (const auto& command : commands) {
      std::vector<std::string> help{program};
      std::vector<std::string> complete{program, "__complete", command.empty() ? "1" : "2", program};
      if (!command.empty()) {
        help.push_back(command);
        complete.push_back(command);
      }
      help.push_back("--help");
      complete.push_back("--");
      const auto flags = flags_in(run(help, "help"));
      EXPECT_FALSE(flags.empty()) << program << " " << command;
      const auto offered = run(complete, "complete");
      for (const auto& flag : flags) {
        EXPECT_NE(manual.find(flag), std::string::npos)
            << program << " " << command << " " << flag << " not in the manual";
        EXPECT_NE(("\n" + offered).find("\n" + flag + "\n"), std::string::npos)
            << program << " " << command << " " << flag << " not completed";
      }
    }
  }
}

TEST(ConfigFiles, FlagsOverrideEnvironmentOverrideUserFileOverrideSystemFile) {
  Cluster cluster;
  cluster.start_hub_agent(0, "a", {"web"});
  cluster.start_agent("b", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b"}));
  std::filesystem::create_directories(cluster.user_config().parent_path());
  std::ofstream(cluster.system_config()) << "algorithm = weighted_round_robin\ntimeout_ms = 1000\n";
  std::ofstream(cluster.user_config()) << "# mine\nalgorithm = round_robin\n";
  // The user file's algorithm wins over the system file's: a strict rotation.
  EXPECT_EQ(cluster.rpclb({"select", "web"}).lines(), (std::vector<std::string>{"a"}));
  EXPECT_EQ(cluster.rpclb({"select", "web"}).lines(), (std::vector<std::string>{"b"}));
  // The system file's timeout still applies (1 s); a flag overrides it.
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.sleep", "4000"}).exit_code, 5);
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.sleep", "200", "--timeout", "5000"}).exit_code, 0);
  // The bus: the file names a dead hub, the environment the live one.
  std::ofstream(cluster.user_config(), std::ios::app) << "bus = tcp://127.0.0.1:9\n";
  cluster.pass_bus_flags = false;
  cluster.client_args = {"--bus-timeout", "300"};
  EXPECT_EQ(cluster.rpclb({"members", "web"}).exit_code, 7);  // the file's dead hub
  cluster.extra_env = {"RPCLB_BUS=" + cluster.hub_endpoint(0)};
  EXPECT_EQ(cluster.rpclb({"members", "web"}).lines(), (std::vector<std::string>{"a", "b"}));  // environment wins
  cluster.extra_env = {"RPCLB_BUS=tcp://127.0.0.1:9"};
  EXPECT_EQ(cluster.rpclb({"members", "web", "--bus", cluster.hub_endpoint(0)}).exit_code, 0);  // flag wins
  // A broken file is a clear bad_request, not a silent default.
  std::ofstream(cluster.user_config(), std::ios::app) << "colour = red\n";
  auto broken = cluster.rpclb({"members", "web"});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("unknown key 'colour'"), std::string::npos) << broken.err;
}

TEST_F(Ergonomics, OutputThatCannotBeWrittenIsAnErrorNotASuccess) {
  // As GNU tools do: `rpclb members web > /dev/full` must not exit 0, and
  // a watch, which would otherwise write into the void for ever, stops.
  const std::vector<std::vector<std::string>> commands{{"members", "web"},
                                                       {"--json", "members", "web"},
                                                       {"members", "web", "--watch"},
                                                       {"call", "web", "sys.echo", "hi", "--all"}};
  for (const auto& command : commands) {
    std::vector<std::string> argv{binary("RPCLB_CLI_BIN")};
    argv.insert(argv.end(), command.begin(), command.end());
    const auto bus = cluster.bus_args();
    argv.insert(argv.end(), bus.begin(), bus.end());
    const auto errors = cluster.dir() / ("full-" + std::to_string(argv.size()) + command.back() + ".err");
    Process full(argv, isolated_environment(cluster.dir()), "/dev/full", errors);
    const auto code = full.wait_for(30s);
    ASSERT_TRUE(code.has_value()) << command.back() << ": still running";
    EXPECT_EQ(*code, 1) << command.back();
    EXPECT_NE(read_file(errors).find("cannot write to standard output: No space left on device"), std::string::npos)
        << read_file(errors);
  }
  // The same command to where it can write succeeds.
  EXPECT_EQ(cluster.rpclb({"members", "web"}).exit_code, 0);
}

}  // namespace
}  // namespace rpclb::testing
