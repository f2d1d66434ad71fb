// What a shell script sees of a fan-out: each member's answer as it arrives,
// what arrived kept when it is interrupted.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

// a and b answer at once; c is frozen (SIGSTOP) for as long as a test needs,
// so its answer is pending until the test ends the fan-out.
class ShellFanOut : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = cluster.start_three(ThreeMembers::dead_stay_listed());
    ASSERT_TRUE(started.listed);
    frozen = started.c;
    frozen->signal(SIGSTOP);
  }
  void TearDown() override {
    if (frozen) frozen->signal(SIGCONT);
  }

  // `rpclb call web sys.echo hi --all` (and `extra`), started; c's answer can
  // only come after its connect timeout, a minute away.
  Process& fan_out(const std::vector<std::string>& extra, const std::string& tag) {
    std::vector<std::string> args{"call",      "web",   "sys.echo",          "hi",   "--all",
                                  "--timeout", "90000", "--connect-timeout", "60000"};
    args.insert(args.end(), extra.begin(), extra.end());
    return cluster.rpclb_async(args, tag);
  }
  bool has_line_for(const std::string& tag, const std::string& start) const {
    const auto out = cluster.output_so_far(tag);
    return out.starts_with(start) || out.find("\n" + start) != std::string::npos;
  }

  Cluster cluster;
  Process* frozen = nullptr;
};

// Each member's line is out (and flushed) while another is still pending;
// SIGTERM then ends it at once with exit 143, keeps those lines and names
// the member still pending.
TEST_F(ShellFanOut, EachAnswerIsPrintedAsItArrivesAndSigtermKeepsThem) {
  auto& running = fan_out({}, "plain");
  ASSERT_TRUE(Cluster::wait_until([&] { return has_line_for("plain", "a\t") && has_line_for("plain", "b\t"); }, 20s))
      << cluster.output_so_far("plain");
  EXPECT_TRUE(running.running()) << "c cannot have answered: it is stopped";
  running.signal(SIGTERM);
  auto ended = cluster.collect(running, "plain", 10s);
  EXPECT_EQ(ended.exit_code, 128 + SIGTERM) << ended.err;
  auto lines = ended.lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"a\t[\"hi\"]", "b\t[\"hi\"]"}));
  EXPECT_NE(ended.err.find("rpclb: SIGTERM: stopped with 1 still pending: c"), std::string::npos) << ended.err;
  EXPECT_EQ(ended.err.find(" done"), std::string::npos) << "no progress line when stderr is not a terminal";
}

// On a terminal (`script` gives rpclb one), stderr shows how far the fan-out
// is and whom it waits for; -q turns that off. c's answer is its connect
// timeout's, 4 s away, long after a's and b's, even on a busy machine.
TEST_F(ShellFanOut, ProgressIsShownOnATerminalUnlessQuiet) {
  const auto on_a_terminal = [&](const std::string& extra, const std::string& tag) {
    const std::string command = binary("RPCLB_CLI_BIN") + " call web sys.echo hi --all --connect-timeout 4000 " +
                                extra + " --bus " + cluster.hub_endpoint(0);
    Process script({"/usr/bin/script", "-qec", command, "/dev/null"}, isolated_environment(cluster.dir() / tag),
                   cluster.dir() / (tag + ".out"), cluster.dir() / (tag + ".err"));
    EXPECT_EQ(script.wait_for(30s), 4) << "c's connect timeout is the first failure";
    return read_file(cluster.dir() / (tag + ".out"));
  };
  const auto shown = on_a_terminal("", "tty");
  EXPECT_NE(shown.find("rpclb: 2/3 done, waiting on c ("), std::string::npos) << shown;
  EXPECT_NE(shown.find("rpclb: 3/3 done, 1 failed"), std::string::npos) << shown;
  const auto quiet = on_a_terminal("--quiet", "quiet");
  EXPECT_EQ(quiet.find(" done"), std::string::npos) << quiet;
  EXPECT_NE(quiet.find("c\t{\"code\":\"service_unavailable\""), std::string::npos) << quiet;
}

// --json-lines: one object per member, each a line of its own as it arrives.
TEST_F(ShellFanOut, JsonLinesGivesOneObjectPerMemberAsItArrives) {
  auto& running = fan_out({"--json-lines"}, "lines");
  ASSERT_TRUE(Cluster::wait_until([&] { return cluster.json_lines_so_far("lines").size() == 2; }, 20s))
      << cluster.output_so_far("lines");
  EXPECT_TRUE(running.running());
  std::vector<std::string> nodes;
  for (const auto& line : cluster.json_lines_so_far("lines")) {
    EXPECT_EQ(line["result"], nlohmann::json::array({"hi"})) << line;
    nodes.push_back(line["node"]);
  }
  std::sort(nodes.begin(), nodes.end());
  EXPECT_EQ(nodes, (std::vector<std::string>{"a", "b"}));
  running.signal(SIGINT);
  EXPECT_EQ(cluster.collect(running, "lines", 10s).exit_code, 128 + SIGINT);
}

// --json prints one array, at the end; SIGINT ends it with what arrived.
// --trace tells each attempt as it ends, so the test knows a's and b's are in.
TEST_F(ShellFanOut, SigintKeepsTheAnswersInAndJsonPrintsThemAsOneArray) {
  auto& running = fan_out({"--json", "--trace"}, "json");
  const auto err = [&] { return read_file(cluster.dir() / "json.err"); };
  ASSERT_TRUE(Cluster::wait_until(
      [&] { return err().find("member=a ") != std::string::npos && err().find("member=b ") != std::string::npos; },
      20s))
      << err();
  EXPECT_EQ(cluster.output_so_far("json"), "") << "--json prints its array at the end";
  running.signal(SIGINT);
  auto ended = cluster.collect(running, "json", 10s);
  EXPECT_EQ(ended.exit_code, 128 + SIGINT) << ended.err;
  EXPECT_EQ(ended.json(), nlohmann::json::parse(R"([{"node":"a","result":["hi"]},{"node":"b","result":["hi"]}])"));
  EXPECT_NE(ended.err.find("rpclb: SIGINT: stopped with 1 still pending: c"), std::string::npos) << ended.err;
}

// Allowlisted programs on a, b and c: sh.fail writes a line to each stream
// and exits 3; say.it prints "one" on a and b, "two" on c.
class RemotePrograms : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string fail = "[sh.fail]\nprogram = /bin/sh\nargs = -c \"echo out; echo err >&2; exit 3\"\n";
    const auto same = cluster.dir() / "one.conf";
    const auto other = cluster.dir() / "two.conf";
    std::ofstream(same) << fail << "[say.it]\nprogram = /bin/echo\nargs = one\n";
    std::ofstream(other) << fail << "[say.it]\nprogram = /bin/echo\nargs = two\n";
    ThreeMembers three;
    three.a_flags = three.b_flags = {"--functions", same.string()};
    three.c_flags = {"--functions", other.string()};
    ASSERT_TRUE(cluster.start_three(three).listed);
  }
  Cluster cluster;
};

// --raw: the program's streams as they are and its exit status, as ssh
// gives them, so `if rpclb call ... --raw; then` means what it says.
TEST_F(RemotePrograms, RawPrintsTheProgramsStreamsAndExitsWithItsStatus) {
  auto failed = cluster.rpclb({"call", "web", "sh.fail", "--raw"});
  EXPECT_EQ(failed.exit_code, 3) << failed.err;
  EXPECT_EQ(failed.out, "out\n");
  EXPECT_EQ(failed.err, "err\n");
  auto in_if = cluster.rpclb({"call", "web", "say.it", "--raw", "--match", "c"});
  EXPECT_EQ(in_if.exit_code, 0) << in_if.err;
  EXPECT_EQ(in_if.out, "two\n");
  // Not a program's result: a built-in's value, as it would print.
  auto value = cluster.rpclb({"call", "web", "sys.echo", "hi", "--raw"});
  EXPECT_EQ(value.exit_code, 0) << value.err;
  EXPECT_EQ(value.out, "[\"hi\"]\n");
}

// Without --raw a failed program's result is printed as before, and the
// exit code says that a program failed: 6, used for nothing else.
TEST_F(RemotePrograms, AProgramThatExitedNonZeroExitsSix) {
  auto failed = cluster.rpclb({"call", "web", "sh.fail", "--json"});
  EXPECT_EQ(failed.exit_code, 6) << failed.err;
  EXPECT_EQ(failed.json()["result"]["exit_code"], 3);
  EXPECT_EQ(failed.json()["result"]["stdout"], "out\n");
  auto everyone = cluster.rpclb({"call", "web", "sh.fail", "--all"});
  EXPECT_EQ(everyone.exit_code, 6) << everyone.err;
  EXPECT_EQ(everyone.lines().size(), 3u) << everyone.out;
  EXPECT_EQ(cluster.rpclb({"call", "web", "say.it", "--all"}).exit_code, 0);
}

// With --all, --raw prefixes each line with its member's name, stdout's on
// stdout and stderr's on stderr (as pdsh); --gather puts members with the
// same output under one header (as dshbak -c).
TEST_F(RemotePrograms, FanOutPrefixesEachLineAndGatherGroupsTheSameOutput) {
  auto raw = cluster.rpclb({"call", "web", "sh.fail", "--all", "--raw"});
  EXPECT_EQ(raw.exit_code, 6) << raw.err;
  auto out = raw.lines();
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<std::string>{"a: out", "b: out", "c: out"}));
  auto err = raw.lines_of_err();
  std::sort(err.begin(), err.end());
  EXPECT_EQ(err, (std::vector<std::string>{"a: err", "b: err", "c: err"}));

  auto gathered = cluster.rpclb({"call", "web", "say.it", "--all", "--gather"});
  EXPECT_EQ(gathered.exit_code, 0) << gathered.err;
  EXPECT_EQ(gathered.out,
            "----------------\na,b\n----------------\none\n"
            "----------------\nc\n----------------\ntwo\n");
}

// sys.functions names what an agent serves, and shell completion asks it
// (and the bus) for the names a command line needs next.
TEST_F(RemotePrograms, CompletionOffersGroupsMembersAndFunctionsFromTheBus) {
  auto listed = cluster.rpclb({"call", "web", "sys.functions", "--match", "c", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.json()["result"], nlohmann::json::parse(R"(["say.it","sh.fail","sys.echo","sys.functions",
                                                              "sys.info","sys.sleep","sys.stats"])"));
  // rpclb __complete CWORD WORD...: the bus and its timeout are the ones
  // typed (cluster.rpclb adds --bus; a loaded machine gets 10 s, not 0.4).
  cluster.client_args = {"--bus-timeout", "10000"};
  EXPECT_EQ(cluster.rpclb({"__complete", "2", "rpclb", "call", ""}).lines(), std::vector<std::string>{"web"});
  const auto functions = cluster.rpclb({"__complete", "3", "rpclb", "call", "web", ""}).lines();
  EXPECT_NE(std::find(functions.begin(), functions.end(), "say.it"), functions.end()) << listed.out;
  EXPECT_EQ(cluster.rpclb({"__complete", "4", "rpclb", "members", "web", "--match", ""}).lines(),
            (std::vector<std::string>{"a", "b", "c"}));
}

// An agent counts a program that ran and exited non-zero apart, as
// code="exit_nonzero", neither "ok" nor an error of its own.
TEST_F(RemotePrograms, AgentMetricsCountANonZeroExitAsItsOwnOutcome) {
  EXPECT_EQ(cluster.rpclb({"call", "web", "sh.fail", "--match", "c"}).exit_code, 6);
  EXPECT_EQ(cluster.rpclb({"call", "web", "say.it", "--match", "c"}).exit_code, 0);
  auto stats = cluster.rpclb({"stats", "web", "--match", "c", "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto calls = metric_samples(stats.json()[0], "rpclb_calls_total", {"function", "code"});
  EXPECT_EQ(calls["sh.fail exit_nonzero"], 1) << stats.out;
  EXPECT_EQ(calls.count("sh.fail ok"), 0u) << stats.out;
  EXPECT_EQ(calls["say.it ok"], 1) << stats.out;
}

// Standard input for a remote program: only to a function whose allowlist
// entry says stdin = true, and at most 4 MiB.
class ProgramInput : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto functions = cluster.dir() / "functions.conf";
    std::ofstream(functions) << "[sh.cat]\nprogram = /bin/cat\nstdin = true\n"
                             << "[sh.count]\nprogram = /usr/bin/wc\nargs = -c\nstdin = true\n"
                             << "[no.input]\nprogram = /bin/cat\n"
                             << "[show.arg]\nprogram = /usr/bin/printf\nargs = %s\n";
    ThreeMembers three;
    three.every_member = {"--functions", functions.string()};
    ASSERT_TRUE(cluster.start_three(three).listed);
  }
  // rpclb with `text` on its standard input.
  CliResult with_input(const std::string& text, const std::vector<std::string>& args) {
    const auto path = cluster.dir() / ("stdin-" + std::to_string(inputs++));
    write_file(path, text);
    cluster.cli_stdin = path;
    auto result = cluster.rpclb(args);
    cluster.cli_stdin = "/dev/null";
    return result;
  }
  Cluster cluster;
  int inputs = 0;
};

// `echo hi | rpclb call web sh.cat --stdin` gives the program "hi", byte for
// byte, on one member or on each of a fan-out's.
TEST_F(ProgramInput, StdinReachesTheProgramOnOneMemberOrEach) {
  const std::string bytes("line one\n\0binary\xff\n", 19);
  auto one = with_input(bytes, {"call", "web", "sh.cat", "--stdin", "--raw"});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, bytes);
  auto each = with_input("hi\n", {"call", "web", "sh.cat", "--stdin", "--all", "--raw"});
  EXPECT_EQ(each.exit_code, 0) << each.err;
  auto lines = each.lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"a: hi", "b: hi", "c: hi"}));
  // Without --stdin the program's stdin is empty, whatever rpclb's is.
  auto without = with_input("ignored\n", {"call", "web", "sh.count", "--raw"});
  EXPECT_EQ(without.out, "0\n") << without.err;
}

// A function whose entry does not say stdin = true refuses input: nothing
// runs (bad_request, exit 2). Past 4 MiB, rpclb refuses before sending.
TEST_F(ProgramInput, InputIsRefusedWhereNotAllowedAndPastItsBound) {
  auto refused = with_input("secret\n", {"call", "web", "no.input", "--stdin"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("no.input does not take standard input"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.out, "");
  auto built_in = with_input("x", {"call", "web", "sys.echo", "--stdin"});
  EXPECT_EQ(built_in.exit_code, 2) << built_in.err;

  auto fits = with_input(std::string(4 * 1024 * 1024, 'x'), {"call", "web", "sh.count", "--stdin", "--raw"});
  EXPECT_EQ(fits.exit_code, 0) << fits.err;
  EXPECT_EQ(fits.out, "4194304\n");
  auto over = with_input(std::string(4 * 1024 * 1024 + 1, 'x'), {"call", "web", "sh.count", "--stdin"});
  EXPECT_EQ(over.exit_code, 2) << over.err;
  EXPECT_NE(over.err.find("standard input is over 4194304 bytes"), std::string::npos) << over.err;
}

// --arg-file passes a file's bytes as one argument, after the words typed.
TEST_F(ProgramInput, ArgFilePassesAFileAsOneArgument) {
  const auto path = cluster.dir() / "note.txt";
  write_file(path, "two words\nand a line; $(not run)");
  auto shown = cluster.rpclb({"call", "web", "show.arg", "--arg-file", path.string(), "--raw"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out, "two words\nand a line; $(not run)");
  auto missing = cluster.rpclb({"call", "web", "show.arg", "--arg-file", (cluster.dir() / "nope").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read --arg-file"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace rpclb::testing
