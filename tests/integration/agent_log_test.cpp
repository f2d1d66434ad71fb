// rpclb-agent's log: logfmt lines with syslog priorities, filtered by --log-level.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

struct LogLine {
  int priority = -1;
  std::map<std::string, std::string> fields;
};

// Reads "<N>key=value key="quoted \" value"..."; nullopt if it is not that shape.
std::optional<LogLine> parse_log_line(const std::string& text) {
  LogLine line;
  if (text.size() < 4 || text[0] != '<' || text[2] != '>' || text[1] < '0' || text[1] > '7') return std::nullopt;
  line.priority = text[1] - '0';
  std::size_t at = 3;
  while (at < text.size()) {
    const auto equals = text.find('=', at);
    if (equals == std::string::npos || equals == at) return std::nullopt;
    const std::string key = text.substr(at, equals - at);
    if (key.find_first_of(" \"") != std::string::npos) return std::nullopt;
    std::string value;
    at = equals + 1;
    if (at < text.size() && text[at] == '"') {
      for (++at;; ++at) {
        if (at >= text.size()) return std::nullopt;
        if (text[at] == '"') break;
        if (text[at] == '\\' && at + 1 < text.size()) ++at;
        value += text[at];
      }
      ++at;
    } else {
      const auto end = text.find(' ', at);
      value = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
      at = end == std::string::npos ? text.size() : end;
    }
    line.fields[key] = value;
    if (at < text.size() && text[at] != ' ') return std::nullopt;
    if (at < text.size()) ++at;
  }
  return line;
}

std::vector<LogLine> parse_log(const std::string& log) {
  std::vector<LogLine> lines;
  std::istringstream in(log);
  for (std::string text; std::getline(in, text);) {
    auto line = parse_log_line(text);
    EXPECT_TRUE(line) << "not a logfmt line: " << text;
    if (line) lines.push_back(std::move(*line));
  }
  return lines;
}

const LogLine* find_event(const std::vector<LogLine>& lines, const std::string& event,
                          const std::map<std::string, std::string>& with = {}) {
  for (const auto& line : lines) {
    if (line.fields.count("event") == 0 || line.fields.at("event") != event) continue;
    bool matches = true;
    for (const auto& [key, value] : with) matches = matches && line.fields.count(key) && line.fields.at(key) == value;
    if (matches) return &line;
  }
  return nullptr;
}

TEST(AgentLog, LogfmtLinesWithSyslogPrioritiesAtTheChosenLevel) {
  Cluster cluster;
  auto& hub = cluster.start_hub_agent(0, "hub", {"jobs"}, {"--log-level", "debug"});
  // A heartbeat of a second: "no link to the hub for 3 heartbeats" (a
  // warning) must not come from a loaded machine starting the two agents
  // (an ASan run once took 302 ms, three of the harness's 100 ms beats).
  auto& quiet = cluster.start_agent("quiet", {"jobs"}, {"--log-level", "warn", "--heartbeat-ms", "1000"});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"hub", "quiet"}));
  auto missing = cluster.rpclb({"call", "jobs", "no.such", "--match", "hub"});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;  // not_found

  quiet.signal(SIGTERM);
  EXPECT_EQ(quiet.wait_for(10s), 0);
  ASSERT_TRUE(
      cluster.wait_until([&] { return cluster.agent_log("hub").find("event=member_left") != std::string::npos; }));
  hub.signal(SIGTERM);
  EXPECT_EQ(hub.wait_for(10s), 0);

  const auto lines = parse_log(cluster.agent_log("hub"));
  const std::map<std::string, int> priorities{{"error", 3}, {"warn", 4}, {"info", 6}, {"debug", 7}};
  for (const auto& line : lines) {
    ASSERT_EQ(line.fields.count("level"), 1u);
    EXPECT_EQ(line.priority, priorities.at(line.fields.at("level")));
    EXPECT_EQ(line.fields.at("node"), "hub");
  }
  EXPECT_TRUE(find_event(lines, "hub_started", {{"bus", cluster.hub_endpoint(0)}}));
  const auto* serving = find_event(lines, "serving", {{"groups", "jobs"}});
  ASSERT_TRUE(serving);
  EXPECT_TRUE(serving->fields.at("endpoint").starts_with("tcp://127.0.0.1:"));
  EXPECT_TRUE(find_event(lines, "member_joined", {{"member", "quiet"}, {"groups", "jobs"}}));
  EXPECT_TRUE(find_event(lines, "member_left", {{"member", "quiet"}}));
  // Debug lines: the refused call, with the caller's error as one quoted value.
  EXPECT_TRUE(find_event(lines, "request_refused",
                         {{"level", "debug"},
                          {"function", "no.such"},
                          {"code", "not_found"},
                          {"error", "node hub has no function no.such"}}));
  EXPECT_TRUE(find_event(lines, "draining", {{"reason", "SIGTERM"}, {"in_flight", "0"}}));
  EXPECT_TRUE(find_event(lines, "stopped", {{"level", "info"}}));

  // At warn, an uneventful life logs nothing.
  EXPECT_EQ(cluster.agent_log("quiet"), "");
}

// An agent that cannot reach a hub says which, after a few heartbeats, and
// says so again when it can: nothing else tells the operator why callers
// asking that hub do not see it.
TEST(AgentLog, AHubItCannotReachIsNamedAndSoIsItsReturn) {
  Cluster cluster;
  const auto hub = cluster.hub_endpoint(0);  // nothing there yet
  cluster.start_agent("lonely", {"jobs"});
  ASSERT_TRUE(Cluster::wait_until([&] {
    return find_event(parse_log(cluster.agent_log("lonely")), "hub_unreachable");
  })) << cluster.agent_log("lonely");
  const auto lines = parse_log(cluster.agent_log("lonely"));
  const auto* warned = find_event(lines, "hub_unreachable", {{"bus", hub}});
  ASSERT_TRUE(warned) << cluster.agent_log("lonely");
  EXPECT_EQ(warned->fields.at("level"), "warn");
  EXPECT_GE(std::stoi(warned->fields.at("for_ms")), 3 * Cluster::kHeartbeatMs);

  cluster.start_hub_agent(0, "hub", {});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"lonely"}));
  ASSERT_TRUE(Cluster::wait_until([&] {
    return find_event(parse_log(cluster.agent_log("lonely")), "hub_reachable", {{"bus", hub}});
  })) << cluster.agent_log("lonely");
}

// The events a quiet agent logs once each, as the README's table says:
// where its metrics are served, host figures it cannot read (once, however
// many heartbeats pass), and a SIGHUP with no --functions to read again.
TEST(AgentLog, MetricsServingHostLoadUnreadableAndReloadSkippedAreLoggedAsDocumented) {
  Cluster cluster;
  const auto empty_procfs = cluster.dir() / "no-proc";
  std::filesystem::create_directories(empty_procfs);
  auto& agent = cluster.start_hub_agent(0, "quiet", {"jobs"},
                                        {"--metrics-listen", "127.0.0.1:0", "--procfs", empty_procfs.string()});
  ASSERT_TRUE(cluster.wait_for_members("jobs", {"quiet"}));
  // Five heartbeats at least, each of which read the host's figures.
  ASSERT_TRUE(cluster.wait_for_load("jobs", 0));
  std::this_thread::sleep_for(5 * std::chrono::milliseconds(Cluster::kHeartbeatMs));
  agent.signal(SIGHUP);
  ASSERT_TRUE(Cluster::wait_until([&] { return find_event(parse_log(cluster.agent_log("quiet")), "reload_skipped"); }))
      << cluster.agent_log("quiet");
  const auto lines = parse_log(cluster.agent_log("quiet"));

  const auto* metrics = find_event(lines, "metrics_serving");
  ASSERT_TRUE(metrics) << cluster.agent_log("quiet");
  EXPECT_EQ(metrics->fields.at("level"), "info");
  EXPECT_TRUE(metrics->fields.at("url").starts_with("http://127.0.0.1:")) << metrics->fields.at("url");
  EXPECT_TRUE(metrics->fields.at("url").ends_with("/metrics")) << metrics->fields.at("url");

  int unreadable = 0;
  for (const auto& line : lines)
    unreadable += line.fields.count("event") && line.fields.at("event") == "host_load_unreadable";
  EXPECT_EQ(unreadable, 1) << cluster.agent_log("quiet");
  const auto* warned = find_event(lines, "host_load_unreadable", {{"procfs", empty_procfs.string()}});
  ASSERT_TRUE(warned) << cluster.agent_log("quiet");
  EXPECT_EQ(warned->fields.at("level"), "warn");

  const auto* skipped = find_event(lines, "reload_skipped");
  ASSERT_TRUE(skipped);
  EXPECT_EQ(skipped->fields.at("level"), "info");
  EXPECT_TRUE(skipped->fields.count("reason") && !skipped->fields.at("reason").empty()) << cluster.agent_log("quiet");
}

TEST(AgentLog, UnknownLevelIsABadOption) {
  Cluster cluster;
  auto& agent = cluster.start_agent("loud", {"jobs"}, {"--log-level", "verbose"});
  EXPECT_EQ(agent.wait_for(10s), 2);
  EXPECT_NE(cluster.agent_log("loud").find("--log-level"), std::string::npos) << cluster.agent_log("loud");
}

}  // namespace
}  // namespace rpclb::testing
