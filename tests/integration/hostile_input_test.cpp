// Hostile and odd input, each case through the real rpclb and real agents:
// arguments arrive exactly as typed, large values are delivered or refused by
// name (never silently dropped), one bad announcement breaks nothing else,
// and every failure is fast and named.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>
#include <zmq.hpp>

#include "common/curve.hpp"
#include "common/endpoint.hpp"
#include "common/protocol.hpp"
#include "common/zmq_helpers.hpp"
#include "lib/state/balancer_state.hpp"
#include "lib/state/state_store.hpp"
#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

// One agent (hosting the hub) in group "web" with an allowlist:
//   show.args   printf '<%s>' ARGS...: one <...> per argv entry, so splitting shows
//   dump.zeros  head -c BYTES FILE (/dev/zero), cut at the default max_output_bytes
//   dump.big    the same with max_output_bytes at its largest (3 MiB)
class OneAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(cluster.dir() / "functions.conf",
               "[show.args]\nprogram = /usr/bin/printf\nargs = <%s>\n"
               "[dump.zeros]\nprogram = /usr/bin/head\nargs = -c\n"
               "[dump.big]\nprogram = /usr/bin/head\nargs = -c\nmax_output_bytes = 3145728\n");
    agent = &cluster.start_hub_agent(0, "solo", {"web"},
                                     {"--functions", (cluster.dir() / "functions.conf").string(), "--workers", "16"});
    ASSERT_TRUE(cluster.wait_for_members("web", {"solo"}));
  }
  Cluster cluster;
  Process* agent = nullptr;
};

TEST_F(OneAgent, EveryArgumentArrivesAsOneValueExactlyAsTyped) {
  auto echoed = cluster.rpclb({"call", "web", "sys.echo", "x", "[1,2]", "[1,[2,[3]]]", "members"});
  ASSERT_EQ(echoed.exit_code, 0) << echoed.err;
  EXPECT_EQ(echoed.json(), nlohmann::json::parse(R"(["x",[1,2],[1,[2,[3]]],"members"])"));

  // After "--" every word is an argument, even one that looks like a flag or a list.
  auto after = cluster.rpclb({"call", "web", "sys.echo", "a", "--", "--json", "--", "[/home,--all]"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.json(), nlohmann::json::parse(R"(["a","--json","--","[/home,--all]"])"));

  // An allowlisted program gets exactly one argv entry per argument.
  auto program = cluster.rpclb({"call", "web", "show.args", "--", "[/home,--all]", "a b", "$(id)", "-5"});
  ASSERT_EQ(program.exit_code, 0) << program.err;
  EXPECT_EQ(program.json()["stdout"], "<[/home,--all]><a b><$(id)><-5>");

  // Repeatable options take one value per flag: a bracketed word is one name or endpoint.
  auto match = cluster.rpclb({"members", "web", "--match", "[solo,other]"});
  EXPECT_EQ(match.exit_code, 4) << match.out;
  auto bus = cluster.rpclb({"members", "web", "--bus", "[" + cluster.hub_endpoint(0) + "]"});
  EXPECT_EQ(bus.exit_code, 2);
  EXPECT_NE(bus.err.find("[" + cluster.hub_endpoint(0) + "]"), std::string::npos) << bus.err;

  // Any command's option, not only the selection flags: a file name that
  // looks like a list is the one file.
  const auto listy = cluster.dir() / "[a,b].json";
  write_file(listy, R"(["from [a,b]"])");
  auto from_file = cluster.rpclb({"call", "web", "sys.echo", "--args-file", listy.string()});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.json(), nlohmann::json::parse(R"(["from [a,b]"])"));
}

TEST_F(OneAgent, NumbersArriveExactlyOrAsTheStringTyped) {
  auto result = cluster.rpclb({"call", "web", "sys.echo", "--", "99999999999999999999", "1.50", "18446744073709551615",
                               "-9223372036854775808", "0.25", "1e2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "[\"99999999999999999999\",\"1.50\",18446744073709551615,-9223372036854775808,0.25,\"1e2\"]\n");
  // Negative numbers of every width MessagePack packs them in reach a program as typed.
  auto program = cluster.rpclb({"call", "web", "show.args", "--", "18446744073709551615", "1.50", "-5", "-200",
                                "-70000", "-9223372036854775808"});
  ASSERT_EQ(program.exit_code, 0) << program.err;
  EXPECT_EQ(program.json()["stdout"], "<18446744073709551615><1.50><-5><-200><-70000><-9223372036854775808>");
}

TEST_F(OneAgent, ArgumentsAProgramCannotHoldAreBadRequests) {
  auto nul = cluster.rpclb({"call", "web", "show.args", R"("a\u0000b")"});
  EXPECT_EQ(nul.exit_code, 2);
  EXPECT_NE(nul.err.find("NUL"), std::string::npos) << nul.err;

  // Past the kernel's 128 KiB limit on one argv entry: refused by name, not a failed exec.
  write_file(cluster.dir() / "long.json", nlohmann::json::array({std::string(200 * 1024, 'x')}).dump());
  auto long_one = cluster.rpclb({"call", "web", "show.args", "--args-file", (cluster.dir() / "long.json").string()});
  EXPECT_EQ(long_one.exit_code, 2);
  EXPECT_NE(long_one.err.find("at most 131071"), std::string::npos) << long_one.err;
}

TEST_F(OneAgent, ArgumentsFromAFileOrStdinGoPastArgvLimits) {
  const std::string big(600 * 1024, 'y');  // more than one argv entry may hold
  write_file(cluster.dir() / "args.json", nlohmann::json::array({big, 1, "[x]"}).dump());
  auto from_file = cluster.rpclb({"call", "web", "sys.echo", "--args-file", (cluster.dir() / "args.json").string()});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.json(), nlohmann::json::array({big, 1, "[x]"}));

  cluster.cli_stdin = cluster.dir() / "args.json";
  auto from_stdin = cluster.rpclb({"call", "web", "sys.echo", "--args", "-"});
  cluster.cli_stdin = "/dev/null";
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.json(), nlohmann::json::array({big, 1, "[x]"}));

  auto inline_array = cluster.rpclb({"call", "web", "sys.echo", "--args", R"([1.50, "a"])"});
  ASSERT_EQ(inline_array.exit_code, 0) << inline_array.err;
  EXPECT_EQ(inline_array.json(), nlohmann::json::parse(R"(["1.50","a"])"));

  auto not_array = cluster.rpclb({"call", "web", "sys.echo", "--args", R"({"a":1})"});
  EXPECT_EQ(not_array.exit_code, 2);
  auto both = cluster.rpclb({"call", "web", "sys.echo", "x", "--args", "[1]"});
  EXPECT_EQ(both.exit_code, 2);
  auto missing = cluster.rpclb({"call", "web", "sys.echo", "--args-file", (cluster.dir() / "nope.json").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos);
}

TEST_F(OneAgent, LargeResultsAreDeliveredAndOversizeRequestsRefusedAtOnce) {
  // 2 MB of output at the default cap: delivered at once, cut at 1 MiB and marked.
  auto capped = cluster.rpclb({"--json", "call", "web", "dump.zeros", "2000000", "/dev/zero", "--timeout", "20000"});
  ASSERT_EQ(capped.exit_code, 0) << capped.err;
  EXPECT_EQ(capped.json()["result"]["stdout"].get<std::string>().size(), 1024u * 1024u);
  EXPECT_EQ(capped.json()["result"]["truncated"], true);
  EXPECT_LT(capped.elapsed, 10s);

  // 3 MiB, the largest cap: still fits in one reply.
  auto largest = cluster.rpclb({"call", "web", "dump.big", "3145728", "/dev/zero", "--timeout", "20000"});
  ASSERT_EQ(largest.exit_code, 0) << largest.err;
  EXPECT_EQ(largest.json()["stdout"].get<std::string>().size(), 3145728u);
  EXPECT_EQ(largest.json()["truncated"], false);

  // A request over the frame limit: bad_request naming the sizes, before anything is sent.
  // 0.5 is 4 bytes of JSON ("0.5,") but 9 of MessagePack: a 4 MB file makes a 9 MB request.
  write_file(cluster.dir() / "huge.json", nlohmann::json(std::vector<double>(1000000, 0.5)).dump());
  auto huge = cluster.rpclb(
      {"call", "web", "sys.echo", "--args-file", (cluster.dir() / "huge.json").string(), "--timeout", "20000"});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_NE(huge.err.find("over the frame limit of " + std::to_string(protocol::kMaxFrameBytes)), std::string::npos)
      << huge.err;
  EXPECT_LT(huge.elapsed, 10s);
  EXPECT_EQ(cluster.rpclb({"call", "web", "sys.echo", "still-serving"}).exit_code, 0);
}

// 16 calls at once, each producing 60 MB: every one is answered, and the
// agent's memory stays bounded by the output cap, not by what was produced.
// Sixteen callers starting at once on two busy cores may take longer than
// the default 250 ms to finish their handshakes: what this measures is the
// memory, so each may take the time it needs to connect.
TEST_F(OneAgent, ConcurrentHugeOutputsKeepTheAgentBounded) {
  std::vector<Process*> calls;
  for (int i = 0; i < 16; ++i) {
    calls.push_back(&cluster.rpclb_async(
        {"call", "web", "dump.zeros", "60000000", "/dev/zero", "--timeout", "60000", "--connect-timeout", "30000"},
        "huge-" + std::to_string(i)));
  }
  long peak = 0;
  int finished = 0;
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (finished < 16 && std::chrono::steady_clock::now() < give_up) {
    peak = std::max(peak, resident_kib(agent->pid()));
    finished = 0;
    for (auto* call : calls) finished += call->running() ? 0 : 1;
    std::this_thread::sleep_for(20ms);
  }
  for (int i = 0; i < 16; ++i) {
    auto result = cluster.collect(*calls[static_cast<std::size_t>(i)], "huge-" + std::to_string(i), 1s);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.json()["truncated"], true);
  }
  RecordProperty("agent_peak_rss_kib", static_cast<int>(peak));
  EXPECT_LT(peak, 400 * 1024) << "peak RSS " << peak << " KiB";
}

TEST_F(OneAgent, CastRefusesBadArgumentsAsCallDoes) {
  for (const auto* mode : {"call", "cast"}) {
    auto sleep = cluster.rpclb({mode, "web", "sys.sleep", "abc"});
    EXPECT_EQ(sleep.exit_code, 2) << mode << ": " << sleep.out;
    EXPECT_NE(sleep.err.find("sys.sleep takes one argument"), std::string::npos) << sleep.err;
    auto program = cluster.rpclb({mode, "web", "show.args", R"({"a":1})"});
    EXPECT_EQ(program.exit_code, 2) << mode;
  }
  auto good = cluster.rpclb({"cast", "web", "sys.sleep", "10"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(good.out, "solo\n");
}

// Deeper than an agent reads (32 levels): refused at once, by the caller
// before anything is sent, for call and cast alike.
TEST_F(OneAgent, ArgumentsNestedTooDeepAreRefusedAtOnce) {
  const auto depth = [](int levels) { return "[" + std::string(levels, '[') + std::string(levels, ']') + "]"; };
  for (const auto* mode : {"call", "cast"}) {
    auto deep = cluster.rpclb({mode, "web", "sys.echo", "--timeout", "60000", "--args", depth(40)});
    EXPECT_EQ(deep.exit_code, 2) << mode << ": " << deep.err;
    EXPECT_NE(deep.err.find("nested more than 32 deep"), std::string::npos) << deep.err;
    EXPECT_NE(deep.err.find("nothing was sent"), std::string::npos) << deep.err;
  }
  auto deepest = cluster.rpclb({"call", "web", "sys.echo", "--args", depth(31)});
  ASSERT_EQ(deepest.exit_code, 0) << deepest.err;
  EXPECT_EQ(deepest.json(), nlohmann::json::parse(depth(31)));
}

TEST_F(OneAgent, RegularExpressionsRunInLinearTime) {
  auto evil = cluster.rpclb({"members", "web", "--match", "/(a+)+$/", "--match", "/(s|so|sol)*x/"});
  EXPECT_EQ(evil.exit_code, 4);
  EXPECT_LT(evil.elapsed, 5s);
  auto caseless = cluster.rpclb({"members", "web", "--match", "/SOLO/i"});
  EXPECT_EQ(caseless.exit_code, 0) << caseless.err;
  EXPECT_EQ(caseless.out, "solo\n");
  auto cased = cluster.rpclb({"members", "web", "--match", "/SOLO/"});
  EXPECT_EQ(cased.exit_code, 4);
  auto unknown_flag = cluster.rpclb({"members", "web", "--match", "/solo/g"});
  EXPECT_EQ(unknown_flag.exit_code, 2);
  EXPECT_NE(unknown_flag.err.find("/REGEX/i"), std::string::npos) << unknown_flag.err;
  auto backreference = cluster.rpclb({"members", "web", "--match", R"(/(s)\1/)"});
  EXPECT_EQ(backreference.exit_code, 2);
}

TEST_F(OneAgent, UnknownCommandsAndMisplacedFlagsAreNamed) {
  auto frob = cluster.rpclb({"frob", "web"});
  EXPECT_EQ(frob.exit_code, 2);
  EXPECT_NE(frob.err.find("unknown command 'frob'"), std::string::npos) << frob.err;
  // --retries belongs to call and cast; select sends nothing to retry.
  auto retries = cluster.rpclb({"select", "web", "--retries", "1"});
  EXPECT_EQ(retries.exit_code, 2);
  EXPECT_NE(retries.err.find("--retries"), std::string::npos) << retries.err;
}

TEST_F(OneAgent, ConfigFileErrorsNameFileAndLine) {
  write_file(cluster.user_config(), "# mine\nbus = " + cluster.hub_endpoint(0) + "   # the hub\nalgorithm = nosuch\n");
  cluster.pass_bus_flags = false;
  // Only commands that choose judge the algorithm; the trailing comment is not part of the bus.
  auto members = cluster.rpclb({"members", "web"});
  EXPECT_EQ(members.exit_code, 0) << members.err;
  auto select = cluster.rpclb({"select", "web"});
  EXPECT_EQ(select.exit_code, 2);
  EXPECT_NE(select.err.find(cluster.user_config().string() + " line 3: algorithm"), std::string::npos) << select.err;
  auto flag_wins = cluster.rpclb({"select", "web", "--algorithm", "round_robin"});
  EXPECT_EQ(flag_wins.exit_code, 0) << flag_wins.err;

  write_file(cluster.user_config(), "bus = " + cluster.hub_endpoint(0) + "\nbus_timeout_ms = 0\n");
  auto zero = cluster.rpclb({"members", "web"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_NE(zero.err.find(cluster.user_config().string() + " line 2: bus_timeout_ms"), std::string::npos) << zero.err;
}

// A cluster whose hub is sent hand-made announcements on its announce socket,
// as a buggy or hostile agent (or anyone, without CURVE) could send them.
class HostileAnnouncements : public ::testing::Test {
 protected:
  void SetUp() override {
    hub = &cluster.start_hub_agent(0, "hub", {"web"});
    cluster.start_agent("web-2", {"web"});
    cluster.start_agent("api-1", {"api"});
    ASSERT_TRUE(cluster.wait_for_members("web", {"hub", "web-2"}));
    ASSERT_TRUE(cluster.wait_for_members("api", {"api-1"}));
    publisher.set(zmq::sockopt::linger, 0);
    publisher.set(zmq::sockopt::sndhwm, 0);
    publisher.connect(bus_address(cluster.hub_endpoint(0))->announce);
    zmq::message_t subscription;
    ASSERT_TRUE(publisher.recv(subscription));  // the hub subscribed: nothing sent is lost on the way
  }

  void announce(const Member& member) {
    publisher.send(zmq::buffer(protocol::encode(protocol::Announce{member})), zmq::send_flags::none);
  }

  static Member member(std::string name) {
    return {std::move(name), "bad1", "tcp://127.0.0.1:9", {"web"}, 1, 0, 100, "x"};
  }

  Cluster cluster;
  Process* hub = nullptr;
  zmq::context_t context;
  zmq::socket_t publisher{context, zmq::socket_type::xpub};
};

TEST_F(HostileAnnouncements, NoBadAnnouncementBreaksDiscoveryOrCalls) {
  auto long_name = member(std::string(600000, 'n'));
  auto newline = member("evil\nforged-line");
  auto forever = member("forever");
  forever.heartbeat_ms = UINT32_MAX;
  auto heavy = member("heavy");
  heavy.weight = UINT32_MAX;
  auto garbage = member("garbage");
  garbage.endpoint = "garbage";
  auto no_groups = member("lonely");
  no_groups.groups.clear();
  for (const auto& bad : {long_name, newline, forever, heavy, garbage, no_groups}) announce(bad);
  publisher.send(zmq::str_buffer("\x93\x01garbage"), zmq::send_flags::none);
  ASSERT_TRUE(Cluster::wait_until(
      [&] { return cluster.agent_log("hub").find("announcement_dropped member=lonely") != std::string::npos; }));

  const auto log = cluster.agent_log("hub");
  for (const auto* name : {"forever", "heavy", "garbage"}) {
    EXPECT_NE(log.find(std::string("announcement_dropped member=") + name), std::string::npos) << name;
  }
  EXPECT_NE(log.find("heartbeat_ms must be from 10 to 600000"), std::string::npos);
  EXPECT_EQ(log.find("forged-line\n"), std::string::npos) << "a name forged a log line";

  EXPECT_EQ(cluster.members("web"), (std::vector<std::string>{"hub", "web-2"}));
  EXPECT_EQ(cluster.members("api"), (std::vector<std::string>{"api-1"}));
  auto groups = cluster.rpclb({"groups"});
  ASSERT_EQ(groups.exit_code, 0) << groups.err;
  EXPECT_EQ(groups.out, "api 1\nweb 2\n");
  for (int i = 0; i < 8; ++i) {
    auto call = cluster.rpclb({"call", "web", "sys.echo", std::to_string(i), "--algorithm", "weighted_round_robin"});
    ASSERT_EQ(call.exit_code, 0) << call.err;
  }
}

// A well-formed member nobody can reach (nothing listens at its endpoint):
// every call that picks it goes on to another member.
TEST_F(HostileAnnouncements, AnUnreachableMemberIsSkippedForAnother) {
  auto ghost = member("ghost");
  ghost.heartbeat_ms = 600000;
  announce(ghost);
  ASSERT_TRUE(cluster.wait_for_members("web", {"ghost", "hub", "web-2"}));
  std::set<std::string> served_by;
  for (int i = 0; i < 6; ++i) {
    auto call = cluster.rpclb({"--json", "call", "web", "sys.echo", std::to_string(i), "--algorithm", "round_robin"});
    ASSERT_EQ(call.exit_code, 0) << call.err;
    served_by.insert(call.json()["node"].get<std::string>());
  }
  EXPECT_EQ(served_by, (std::set<std::string>{"hub", "web-2"}));

  // The same instance moving is logged; another instance is refused.
  ghost.endpoint = "tcp://127.0.0.1:10";
  announce(ghost);
  auto usurper = ghost;
  usurper.instance = "bad2";
  usurper.endpoint = "tcp://127.0.0.1:11";
  announce(usurper);
  ASSERT_TRUE(Cluster::wait_until([&] {
    return cluster.agent_log("hub").find("event=name_conflict member=ghost") != std::string::npos;
  })) << cluster.agent_log("hub");
  const auto log = cluster.agent_log("hub");
  EXPECT_NE(log.find("event=member_endpoint_changed member=ghost from=tcp://127.0.0.1:9 to=tcp://127.0.0.1:10"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("held by instance bad1 at tcp://127.0.0.1:10; refused instance bad2 at tcp://127.0.0.1:11"),
            std::string::npos)
      << log;
}

// 20,000 fake members with long names: the hub keeps at most its limit, still
// answers for the real ones, and gives the memory back once they leave.
TEST_F(HostileAnnouncements, AFloodIsBoundedAndReleasedWhenItLeaves) {
  const long before = resident_kib(hub->pid());
  constexpr int kFlood = 20000;
  auto fake = [](int i) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "-%05d", i);
    auto m = member(std::string(240, 'f') + suffix);
    m.groups = {"flood"};
    m.heartbeat_ms = 600000;  // they would stay for half an hour
    return m;
  };
  for (int i = 0; i < kFlood; ++i) {
    announce(fake(i));
    if (i % 500 == 499) std::this_thread::sleep_for(10ms);  // paced, so the hub reads each one
  }
  ASSERT_TRUE(
      Cluster::wait_until([&] { return cluster.agent_log("hub").find("the hub is full") != std::string::npos; }, 20s));
  auto flood = cluster.rpclb({"members", "flood", "--json"});
  ASSERT_EQ(flood.exit_code, 0) << flood.err;
  const auto kept = flood.json().size();
  EXPECT_GT(kept, 1000u);
  EXPECT_LT(kept, static_cast<std::size_t>(kFlood));
  EXPECT_EQ(cluster.members("web"), (std::vector<std::string>{"hub", "web-2"}));
  const long full = resident_kib(hub->pid());
  RecordProperty("hub_rss_before_kib", static_cast<int>(before));
  RecordProperty("hub_rss_full_kib", static_cast<int>(full));
  EXPECT_LT(full - before, 64 * 1024) << "RSS grew from " << before << " to " << full << " KiB";

  for (int i = 0; i < kFlood; ++i) {
    const auto m = fake(i);
    publisher.send(zmq::buffer(protocol::encode(protocol::Leave{m.name, m.instance})), zmq::send_flags::none);
    if (i % 500 == 499) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(Cluster::wait_until([&] { return cluster.rpclb({"members", "flood"}).exit_code == 4; }, 20s));
  const long after = resident_kib(hub->pid());
  RecordProperty("hub_rss_after_leave_kib", static_cast<int>(after));
#ifdef RPCLB_UNDER_ASAN
  GTEST_SKIP() << "ASan's allocator keeps freed memory in its own quarantine";
#endif
  std::cout << "hub RSS: before " << before << " KiB, full " << full << " KiB, after leave " << after << " KiB\n";
  EXPECT_LT(after - before, (full - before) / 2 + 2048) << "memory was not given back";
  EXPECT_EQ(cluster.members("web"), (std::vector<std::string>{"hub", "web-2"}));
}

// weighted_round_robin with weights near 1,000,000 once failed every selection.
TEST(HostileWeights, EveryValidWeightCombinationSelects) {
  Cluster cluster;
  cluster.start_hub_agent(0, "w00", {"heavy"}, {"--weight", "1000000"});
  std::vector<std::string> names{"w00"};
  for (int i = 1; i <= 10; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "w%02d", i);
    names.push_back(name);
    cluster.start_agent(name, {"heavy"}, {"--weight", std::to_string(1000000 - i)});
  }
  ASSERT_TRUE(cluster.wait_for_members("heavy", names, 20s));
  std::set<std::string> chosen;
  for (int i = 0; i < 22; ++i) {
    auto result = cluster.rpclb({"select", "heavy", "--algorithm", "weighted_round_robin"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    chosen.insert(result.lines().at(0));
  }
  EXPECT_GE(chosen.size(), 8u);  // near-equal weights spread over (nearly) every member
}

// Under systemd, a DynamicUser= agent reads its secret through LoadCredential=,
// as $CREDENTIALS_DIRECTORY/NAME, which systemd opens to the service's user
// with an ACL whose mask shows as group bits (mode 0440). That is accepted
// there, and only there; a credential others may read is still refused.
TEST(HostileKeys, ASystemdCredentialIsAcceptedWithItsAclMask) {
  Cluster cluster;
  const auto keys = cluster.dir() / "keys";
  const auto credentials = cluster.dir() / "credentials";
  std::filesystem::create_directories(keys / "authorized");
  std::filesystem::create_directories(credentials);
  ASSERT_EQ(cluster.rpclb({"keygen", (keys / "cluster").string()}).exit_code, 0);
  ASSERT_EQ(cluster.rpclb({"keygen", (keys / "alice").string()}).exit_code, 0);
  std::filesystem::copy_file(keys / "alice.pub", keys / "authorized" / "alice.pub");
  const auto credential = credentials / "cluster.key";
  std::filesystem::copy_file(keys / "cluster.key", credential);
  ASSERT_EQ(::chmod(credential.c_str(), 0440), 0);
  cluster.extra_env.push_back("CREDENTIALS_DIRECTORY=" + credentials.string());
  auto secured_by = [&](const std::filesystem::path& secret) {
    return std::vector<std::string>{"--curve-secret", secret.string(), "--curve-authorized",
                                    (keys / "authorized").string()};
  };
  cluster.start_hub_agent(0, "credentialed", {"web"}, secured_by(credential));
  cluster.client_args = {"--curve-secret", (keys / "alice.key").string(), "--curve-server-key",
                         (keys / "cluster.pub").string()};
  ASSERT_TRUE(cluster.wait_for_members("web", {"credentialed"})) << cluster.agent_log("credentialed");

  // The same mode outside the credentials folder is refused.
  ASSERT_EQ(::chmod((keys / "cluster.key").c_str(), 0440), 0);
  auto& outside = cluster.start_agent("outside", {"web"}, secured_by(keys / "cluster.key"));
  EXPECT_EQ(outside.wait_for(10s), 2);
  EXPECT_NE(cluster.agent_log("outside").find("is readable by group or others (mode 0440)"), std::string::npos)
      << cluster.agent_log("outside");
  // And inside it, a credential others may read.
  ASSERT_EQ(::chmod(credential.c_str(), 0444), 0);
  auto& readable = cluster.start_agent("readable", {"web"}, secured_by(credential));
  EXPECT_EQ(readable.wait_for(10s), 2);
  EXPECT_NE(cluster.agent_log("readable").find("(mode 0444)"), std::string::npos) << cluster.agent_log("readable");
}

TEST(HostileKeys, SecretKeysOthersCanReadAndMismatchedPairsAreRefusedAtStart) {
  Cluster cluster;
  const auto cluster_key = (cluster.dir() / "cluster").string();
  const auto client_key = (cluster.dir() / "client").string();
  ASSERT_EQ(cluster.rpclb({"keygen", cluster_key}).exit_code, 0);
  ASSERT_EQ(cluster.rpclb({"keygen", client_key}).exit_code, 0);
  std::filesystem::create_directories(cluster.dir() / "authorized");
  ::chmod((cluster_key + ".key").c_str(), 0644);

  auto& agent = cluster.start_hub_agent(
      0, "keyed", {"web"},
      {"--curve-secret", cluster_key + ".key", "--curve-authorized", (cluster.dir() / "authorized").string()});
  EXPECT_EQ(agent.wait_for(10s), 2);
  EXPECT_NE(cluster.agent_log("keyed").find("secret key file " + cluster_key + ".key is readable by group or others"),
            std::string::npos)
      << cluster.agent_log("keyed");

  ::chmod((client_key + ".key").c_str(), 0640);
  auto client = cluster.rpclb(
      {"members", "web", "--curve-secret", client_key + ".key", "--curve-server-key", cluster_key + ".pub"});
  EXPECT_EQ(client.exit_code, 2);
  EXPECT_NE(client.err.find(client_key + ".key"), std::string::npos) << client.err;

  // A public half from another pair: refused at start, not a silent failure to join.
  ::chmod((cluster_key + ".key").c_str(), 0600);
  std::ifstream other(client_key + ".pub");
  std::string other_public;
  for (std::string line; std::getline(other, line);) {
    if (line.starts_with("public=")) other_public = line;
  }
  std::ifstream original(cluster_key + ".key");
  std::string mixed;
  for (std::string line; std::getline(original, line);)
    mixed += (line.starts_with("public=") ? other_public : line) + "\n";
  write_file(cluster.dir() / "mixed.key", mixed);
  ::chmod((cluster.dir() / "mixed.key").c_str(), 0600);
  auto& mismatched = cluster.start_agent("mixed", {"web"},
                                         {"--curve-secret", (cluster.dir() / "mixed.key").string(),
                                          "--curve-authorized", (cluster.dir() / "authorized").string()});
  EXPECT_EQ(mismatched.wait_for(10s), 2);
  EXPECT_NE(cluster.agent_log("mixed").find("does not belong to its secret key"), std::string::npos);
}

// least_connections reads counts from the state file: a huge count (written by
// hand, or by anything else) is capped, so adding a busy member's load to it
// cannot wrap negative and attract every selection.
TEST(HostileState, HugeOutstandingCountsAreCapped) {
  Cluster cluster;
  cluster.start_hub_agent(0, "alpha", {"web"});
  cluster.start_agent("beta", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"alpha", "beta"}));
  const auto state = cluster.dir() / "state" / state::state_file_name("web", cluster.hub_endpoint(0) + ",");
  // A hold that lasts a minute (as `rpclb select` would leave one), of a count no caller could have.
  write_file(state,
             "rpclb-state 3\nhold alpha 0 " + std::to_string(state::wall_now() + 60'000) + " 9223372036854775807\n");
  auto& busy = cluster.rpclb_async({"call", "web", "sys.sleep", "3000", "--match", "alpha"}, "busy");
  ASSERT_TRUE(Cluster::wait_until([&] {
    auto members = cluster.rpclb({"members", "web", "--json", "--match", "alpha"});
    return members.exit_code == 0 && members.json()[0]["load"] == 1;
  }));
  for (int i = 0; i < 6; ++i) {
    auto result = cluster.rpclb({"select", "web", "--algorithm", "least_connections"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "beta\n");
  }
  EXPECT_EQ(cluster.collect(busy, "busy", 20s).exit_code, 0);
}

// When the drain timeout passes, or a second signal comes, every caller still
// waiting hears `internal` at once, not request_timeout at the end of its own.
TEST(AbandonedCalls, CallersHearInternalWhenTheAgentGivesUpOnThem) {
  Cluster cluster;
  cluster.start_hub_agent(0, "hub", {});
  auto& patient = cluster.start_agent("patient", {"drain"}, {"--drain-timeout", "300"});
  auto& stubborn = cluster.start_agent("stubborn", {"twice"}, {"--drain-timeout", "60000"});
  ASSERT_TRUE(cluster.wait_for_members("drain", {"patient"}));
  ASSERT_TRUE(cluster.wait_for_members("twice", {"stubborn"}));

  auto& timed_out = cluster.rpclb_async({"call", "drain", "sys.sleep", "30000", "--timeout", "60000"}, "timed-out");
  ASSERT_TRUE(cluster.wait_for_load("drain", 1));
  patient.signal(SIGTERM);
  auto first = cluster.collect(timed_out, "timed-out", 30s);
  EXPECT_EQ(first.exit_code, 1) << first.err;
  EXPECT_NE(first.err.find("internal: node patient stopped before the call finished"), std::string::npos) << first.err;
  EXPECT_LT(first.elapsed, 10s);
  EXPECT_EQ(patient.wait_for(10s), 0);
  EXPECT_NE(cluster.agent_log("patient").find("level=warn node=patient event=stopped abandoned_calls=1"),
            std::string::npos);

  auto& interrupted = cluster.rpclb_async({"call", "twice", "sys.sleep", "30000", "--timeout", "60000"}, "twice");
  ASSERT_TRUE(cluster.wait_for_load("twice", 1));
  stubborn.signal(SIGTERM);
  ASSERT_TRUE(
      Cluster::wait_until([&] { return cluster.agent_log("stubborn").find("event=draining") != std::string::npos; }));
  stubborn.signal(SIGTERM);
  auto second = cluster.collect(interrupted, "twice", 30s);
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_LT(second.elapsed, 10s);
  EXPECT_EQ(stubborn.wait_for(10s), 0);
  EXPECT_NE(cluster.agent_log("stubborn").find("event=stopping_now"), std::string::npos);
}

}  // namespace
}  // namespace rpclb::testing
