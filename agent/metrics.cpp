#include "agent/metrics.hpp"

#include <algorithm>

namespace rpclb::agent {
namespace {

MetricFamily family(std::string name, std::string help, std::string type) {
  return MetricFamily{std::move(name), std::move(help), std::move(type), {}};
}

MetricFamily gauge(std::string name, std::string help, double value) {
  auto out = family(name, std::move(help), "gauge");
  out.samples.push_back({std::move(name), {}, value});
  return out;
}

std::string bucket_bound(double bound) {
  std::string text = std::to_string(bound);
  // "0.000500" -> "0.0005", "1.000000" -> "1"
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

// The entry for `key` in a map keyed by name, made (zero) on first use.
template <typename ByName>
typename ByName::mapped_type& entry(ByName& map, std::string_view key) {
  auto found = map.find(key);
  if (found == map.end()) found = map.emplace(std::string(key), typename ByName::mapped_type{}).first;
  return found->second;
}

}  // namespace

AgentMetrics::AgentMetrics(std::string name, std::string instance, std::string version)
    : name_(std::move(name)), instance_(std::move(instance)), version_(std::move(version)) {}

void AgentMetrics::call_ended(std::string_view function, std::string_view mode, std::string_view code,
                              std::optional<std::chrono::steady_clock::duration> took) {
  const std::string_view shown = function.empty() ? std::string_view("unknown") : function;
  const CallKey::View key{shown, mode, code};
  std::lock_guard lock(mutex_);
  if (last_count_ == nullptr || last_key_ != key) {
    auto counted = calls_.find(key);
    if (counted == calls_.end()) {
      counted =
          calls_.emplace(CallKey{std::string(key.function), std::string(key.mode), std::string(key.code)}, 0).first;
    }
    last_key_ = counted->first.view();
    last_count_ = &counted->second;
  }
  ++*last_count_;
  if (!took) return;
  const double seconds = std::chrono::duration<double>(*took).count();
  if (last_histogram_ == nullptr || last_function_ != shown) {
    auto found = durations_.find(shown);
    if (found == durations_.end()) found = durations_.emplace(std::string(shown), Histogram{}).first;
    last_function_ = found->first;
    last_histogram_ = &found->second;
  }
  auto& histogram = *last_histogram_;
  const auto bucket = std::lower_bound(kDurationBuckets.begin(), kDurationBuckets.end(), seconds);
  if (bucket != kDurationBuckets.end()) ++histogram.counts[static_cast<std::size_t>(bucket - kDurationBuckets.begin())];
  ++histogram.count;
  histogram.sum += seconds;
}

void AgentMetrics::frame_refused() {
  std::lock_guard lock(mutex_);
  ++frames_refused_;
}

void AgentMetrics::frame_dropped() {
  std::lock_guard lock(mutex_);
  ++frames_dropped_;
}

void AgentMetrics::reply_dropped(std::string_view reason) {
  std::lock_guard lock(mutex_);
  ++entry(replies_dropped_, reason);
}

void AgentMetrics::refused_at_capacity(std::string_view limit) {
  std::lock_guard lock(mutex_);
  ++entry(refused_at_capacity_, limit);
}

void AgentMetrics::bus_event(std::string_view event) {
  std::lock_guard lock(mutex_);
  ++entry(bus_events_, event);
}

void AgentMetrics::set_hub_members(std::map<std::string, std::size_t, std::less<>> by_group) {
  std::lock_guard lock(mutex_);
  hub_members_ = std::move(by_group);
}

std::vector<MetricFamily> AgentMetrics::families(const LiveFigures& live) const {
  std::vector<MetricFamily> out;
  auto info = family("rpclb_agent_info", "This agent: its name, instance and version (always 1).", "gauge");
  info.samples.push_back({"rpclb_agent_info", {{"name", name_}, {"instance", instance_}, {"version", version_}}, 1});
  out.push_back(std::move(info));
  out.push_back(gauge("rpclb_uptime_seconds", "Seconds since the agent started.", live.uptime_seconds));
  out.push_back(gauge("rpclb_draining", "1 while the agent drains (refuses new calls), else 0.", live.draining));
  out.push_back(gauge("rpclb_calls_in_flight", "Calls accepted and not yet answered.", live.in_flight));
  out.push_back(gauge("rpclb_queue_depth", "Calls accepted and waiting for a worker.", live.queued));
  out.push_back(
      gauge("rpclb_queue_limit", "Calls in flight beyond which new ones are refused (--max-queue).", live.max_queue));
  out.push_back(gauge("rpclb_workers", "Worker threads (--workers).", live.workers));
  out.push_back(gauge("rpclb_inflight_bytes",
                      "Bytes of requests read and not yet answered, and of replies not yet written to their caller.",
                      double(live.inflight_bytes)));
  out.push_back(gauge("rpclb_inflight_bytes_limit", "The memory budget for calls (--max-inflight-bytes).",
                      double(live.max_inflight_bytes)));
  out.push_back(gauge("rpclb_connections_at_share",
                      "Caller connections refused a request for holding their share of --max-inflight-bytes, "
                      "over the last heartbeat.",
                      double(live.connections_at_share)));
  if (live.cpu) {
    out.push_back(gauge("rpclb_host_cpu_ratio", "The host's CPU busy over the last heartbeat, 0 to 1 of all cores.",
                        *live.cpu / 1000.0));
  }
  if (live.load_average) {
    out.push_back(gauge("rpclb_host_load_average", "The host's one-minute load average.", *live.load_average / 1000.0));
  }

  std::lock_guard lock(mutex_);
  auto calls = family("rpclb_calls_total",
                      "Calls and casts ended, by function, mode and outcome code (ok, exit_nonzero: a program exited "
                      "non-zero, or the error code).",
                      "counter");
  for (const auto& [key, count] : calls_) {
    calls.samples.push_back(
        {"rpclb_calls_total", {{"function", key.function}, {"mode", key.mode}, {"code", key.code}}, double(count)});
  }
  out.push_back(std::move(calls));

  auto durations = family("rpclb_call_duration_seconds",
                          "Time from a call's arrival to its answer, for calls that ran, by function.", "histogram");
  for (const auto& [function, histogram] : durations_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kDurationBuckets.size(); ++i) {
      cumulative += histogram.counts[i];
      durations.samples.push_back({"rpclb_call_duration_seconds_bucket",
                                   {{"function", function}, {"le", bucket_bound(kDurationBuckets[i])}},
                                   double(cumulative)});
    }
    durations.samples.push_back(
        {"rpclb_call_duration_seconds_bucket", {{"function", function}, {"le", "+Inf"}}, double(histogram.count)});
    durations.samples.push_back({"rpclb_call_duration_seconds_sum", {{"function", function}}, histogram.sum});
    durations.samples.push_back(
        {"rpclb_call_duration_seconds_count", {{"function", function}}, double(histogram.count)});
  }
  out.push_back(std::move(durations));

  auto refused =
      family("rpclb_frames_refused_total", "Frames that were not a valid request, answered bad_request.", "counter");
  refused.samples.push_back({"rpclb_frames_refused_total", {}, double(frames_refused_)});
  out.push_back(std::move(refused));
  auto dropped =
      family("rpclb_frames_dropped_total", "Frames without a usable envelope, which could not be answered.", "counter");
  dropped.samples.push_back({"rpclb_frames_dropped_total", {}, double(frames_dropped_)});
  out.push_back(std::move(dropped));
  auto replies = family("rpclb_replies_dropped_total",
                        "Replies that could not be handed to their caller: gone, or not reading.", "counter");
  for (const auto& [reason, count] : replies_dropped_) {
    replies.samples.push_back({"rpclb_replies_dropped_total", {{"reason", reason}}, double(count)});
  }
  out.push_back(std::move(replies));
  auto at_capacity = family("rpclb_requests_refused_at_capacity_total",
                            "Requests refused service_unavailable, nothing run, by the limit they met: max_queue "
                            "(calls in flight) or max_inflight_bytes (the memory budget).",
                            "counter");
  for (const auto& [limit, count] : refused_at_capacity_) {
    at_capacity.samples.push_back({"rpclb_requests_refused_at_capacity_total", {{"limit", limit}}, double(count)});
  }
  out.push_back(std::move(at_capacity));

  auto bus =
      family("rpclb_bus_events_total", "Membership events: this agent's announcements, and its hub's.", "counter");
  for (const auto& [event, count] : bus_events_) {
    bus.samples.push_back({"rpclb_bus_events_total", {{"event", event}}, double(count)});
  }
  out.push_back(std::move(bus));

  if (hub_members_) {
    auto members = family("rpclb_hub_members", "Members in this agent's hub, by group.", "gauge");
    for (const auto& [group, count] : *hub_members_) {
      members.samples.push_back({"rpclb_hub_members", {{"group", group}}, double(count)});
    }
    out.push_back(std::move(members));
  }
  return out;
}

}  // namespace rpclb::agent
