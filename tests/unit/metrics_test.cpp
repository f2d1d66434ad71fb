// The agent's metrics: what is counted, the Prometheus text it becomes, the
// MessagePack form `rpclb stats` reads back, and the host figures.
#include <gtest/gtest.h>

#include "agent/host_load.hpp"
#include "agent/metrics.hpp"
#include "common/metric_families.hpp"

#include <filesystem>
#include <fstream>

namespace rpclb::agent {
namespace {

const MetricFamily* family_named(const std::vector<MetricFamily>& families, std::string_view name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

double value_of(const MetricFamily& family, std::string_view sample, const MetricLabels& labels) {
  for (const auto& each : family.samples) {
    if (each.name == sample && each.labels == labels) return each.value;
  }
  return -1;
}

TEST(AgentMetrics, CallsAreCountedByFunctionModeAndCode) {
  AgentMetrics metrics("n", "i", "v");
  metrics.call_ended("sys.echo", "call", "ok", std::chrono::microseconds(300));
  metrics.call_ended("sys.echo", "call", "ok", std::chrono::milliseconds(3));
  metrics.call_ended("sys.echo", "cast", "internal", std::chrono::seconds(20));
  metrics.call_ended("", "call", "not_found", std::nullopt);
  const auto families = metrics.families({});
  const auto* calls = family_named(families, "rpclb_calls_total");
  ASSERT_NE(calls, nullptr);
  EXPECT_EQ(value_of(*calls, "rpclb_calls_total", {{"function", "sys.echo"}, {"mode", "call"}, {"code", "ok"}}), 2);
  EXPECT_EQ(value_of(*calls, "rpclb_calls_total", {{"function", "sys.echo"}, {"mode", "cast"}, {"code", "internal"}}),
            1);
  // A name the agent does not serve is not a label of its own.
  EXPECT_EQ(value_of(*calls, "rpclb_calls_total", {{"function", "unknown"}, {"mode", "call"}, {"code", "not_found"}}),
            1);

  // Buckets are cumulative; a refused call (no duration) is not in them.
  const auto* durations = family_named(families, "rpclb_call_duration_seconds");
  ASSERT_NE(durations, nullptr);
  const auto bucket = [&](std::string le) {
    return value_of(*durations, "rpclb_call_duration_seconds_bucket", {{"function", "sys.echo"}, {"le", le}});
  };
  EXPECT_EQ(bucket("0.0005"), 1);
  EXPECT_EQ(bucket("0.0025"), 1);
  EXPECT_EQ(bucket("0.005"), 2);
  EXPECT_EQ(bucket("10"), 2);
  EXPECT_EQ(bucket("+Inf"), 3);
  EXPECT_EQ(value_of(*durations, "rpclb_call_duration_seconds_count", {{"function", "sys.echo"}}), 3);
  EXPECT_NEAR(value_of(*durations, "rpclb_call_duration_seconds_sum", {{"function", "sys.echo"}}), 20.0033, 1e-9);
  EXPECT_EQ(family_named(families, "rpclb_hub_members"), nullptr);  // not a hub
}

TEST(AgentMetrics, EachCallIsCountedUnderItsOwnNamesWhateverCameBefore) {
  AgentMetrics metrics("n", "i", "v");
  // One buffer, its text changed between calls: what was counted keeps the
  // names it was counted under, not a view of the caller's buffer.
  std::string function = "fn.a";
  metrics.call_ended(function, "call", "ok", std::chrono::microseconds(300));
  function = "fn.b";
  metrics.call_ended(function, "call", "ok", std::chrono::seconds(20));
  metrics.call_ended(function, "call", "internal", std::nullopt);
  function = "fn.a";
  metrics.call_ended(function, "call", "ok", std::chrono::microseconds(300));
  metrics.call_ended(function, "cast", "ok", std::chrono::microseconds(300));
  const auto families = metrics.families({});
  const auto* calls = family_named(families, "rpclb_calls_total");
  ASSERT_NE(calls, nullptr);
  const auto count = [&](std::string name, std::string mode, std::string code) {
    return value_of(*calls, "rpclb_calls_total", {{"function", name}, {"mode", mode}, {"code", code}});
  };
  EXPECT_EQ(count("fn.a", "call", "ok"), 2);
  EXPECT_EQ(count("fn.a", "cast", "ok"), 1);
  EXPECT_EQ(count("fn.b", "call", "ok"), 1);
  EXPECT_EQ(count("fn.b", "call", "internal"), 1);
  const auto* durations = family_named(families, "rpclb_call_duration_seconds");
  ASSERT_NE(durations, nullptr);
  EXPECT_EQ(value_of(*durations, "rpclb_call_duration_seconds_count", {{"function", "fn.a"}}), 3);
  EXPECT_EQ(value_of(*durations, "rpclb_call_duration_seconds_count", {{"function", "fn.b"}}), 1);
  EXPECT_NEAR(value_of(*durations, "rpclb_call_duration_seconds_sum", {{"function", "fn.b"}}), 20, 1e-9);
}

TEST(AgentMetrics, LiveFiguresAndHubMembersAreReported) {
  AgentMetrics metrics("n", "i", "v");
  metrics.set_hub_members({{"web", 3}, {"db", 1}});
  metrics.bus_event("joined");
  metrics.bus_event("joined");
  LiveFigures live;
  live.in_flight = 5;
  live.queued = 2;
  live.cpu = 250;
  const auto families = metrics.families(live);
  EXPECT_EQ(family_named(families, "rpclb_calls_in_flight")->samples.at(0).value, 5);
  EXPECT_EQ(family_named(families, "rpclb_queue_depth")->samples.at(0).value, 2);
  EXPECT_EQ(family_named(families, "rpclb_host_cpu_ratio")->samples.at(0).value, 0.25);
  EXPECT_EQ(family_named(families, "rpclb_host_load_average"), nullptr);  // unknown: left out
  EXPECT_EQ(value_of(*family_named(families, "rpclb_hub_members"), "rpclb_hub_members", {{"group", "web"}}), 3);
  EXPECT_EQ(
      value_of(*family_named(families, "rpclb_bus_events_total"), "rpclb_bus_events_total", {{"event", "joined"}}), 2);
}

TEST(MetricFamilies, PrometheusTextEscapesLabelsAndHelp) {
  const std::vector<MetricFamily> families{
      {"x_total", "Help with \\ and\nnewline", "counter", {{"x_total", {{"k", "a\"b\\c\nd"}}, 3}}},
      {"y", "Y", "gauge", {{"y", {}, 0.25}, {"y", {{"le", "+Inf"}}, 1e300 * 1e300}}},
  };
  EXPECT_EQ(prometheus_text(families),
            "# HELP x_total Help with \\\\ and\\nnewline\n"
            "# TYPE x_total counter\n"
            "x_total{k=\"a\\\"b\\\\c\\nd\"} 3\n"
            "# HELP y Y\n"
            "# TYPE y gauge\n"
            "y 0.25\n"
            "y{le=\"+Inf\"} +Inf\n");
}

TEST(MetricFamilies, TheMessagePackFormRoundTrips) {
  AgentMetrics metrics("n", "i", "v");
  metrics.call_ended("sys.echo", "call", "ok", std::chrono::microseconds(1500));
  LiveFigures live;
  live.cpu = 125;
  live.uptime_seconds = 1.5;
  const auto families = metrics.families(live);
  auto back = unpack_families(pack_families(families));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, families);
  for (const auto* garbage : {"", "\x01", "\x91\x01", "\x91\x80"}) {
    EXPECT_FALSE(unpack_families(garbage).ok()) << garbage;
  }
}

TEST(HostLoad, ProcfsLinesAreParsed) {
  auto cpu = parse_cpu_line("cpu  100 20 30 800 50 0 0 0 7 0");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->total, 1000u);  // guest (7) is already in user
  EXPECT_EQ(cpu->busy, 150u);    // not idle (800) nor iowait (50)
  EXPECT_FALSE(parse_cpu_line("cpu0 1 2 3 4"));
  EXPECT_FALSE(parse_cpu_line("cpu  1 x 3 4"));
  EXPECT_FALSE(parse_cpu_line("cpu  1 2"));
  EXPECT_EQ(parse_load_average("0.52 0.58 0.59 1/467 12345"), 520u);
  EXPECT_EQ(parse_load_average("12.5 1 1 1/1 1"), 12500u);
  EXPECT_EQ(parse_load_average("3\n"), 3000u);
  EXPECT_FALSE(parse_load_average("x"));
  EXPECT_FALSE(parse_load_average("1,5 1 1"));
}

// Between two samples CPU use is the share of ticks that were busy; with the
// counters standing still (a copied procfs) it is the share since boot.
TEST(HostLoad, CpuIsMeasuredBetweenSamples) {
  const auto dir = std::filesystem::temp_directory_path() / ("rpclb-procfs-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& stat) {
    std::ofstream(dir / "stat") << stat << "\ncpu0 1 1 1 1\n";
    std::ofstream(dir / "loadavg") << "1.25 1.00 0.75 2/100 999\n";
  };
  HostLoad load(dir.string());
  write("cpu  300 0 0 700 0 0 0 0 0 0");
  auto first = load.sample();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->cpu, 300u);
  EXPECT_EQ(first->load_average, 1250u);
  write("cpu  390 0 0 710 0 0 0 0 0 0");
  EXPECT_EQ(load.sample()->cpu, 900u);
  EXPECT_EQ(load.sample()->cpu, 354u);  // 390 of 1100 since boot
  std::filesystem::remove(dir / "loadavg");
  EXPECT_FALSE(load.sample());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rpclb::agent
