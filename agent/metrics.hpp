// AgentMetrics: what an agent counts about itself, for /metrics
// (agent/metrics_server.hpp) and sys.stats (`rpclb stats`).
//
// The event loop records; any thread reads (the HTTP server has its own), so
// every figure is behind one mutex, held for a few map operations a call.
// Label values come only from bounded sets: functions this agent serves (an
// unknown name counts as "unknown"), error codes, and the hub's groups.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/metric_families.hpp"
#include "rpclb/error.hpp"

namespace rpclb::agent {

// Upper bounds (seconds) of the call-duration histogram's buckets.
inline constexpr std::array<double, 14> kDurationBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

// Figures read at the moment of a scrape, from wherever they live.
struct LiveFigures {
  std::uint32_t in_flight = 0;
  std::uint32_t queued = 0;  // accepted, waiting for a worker
  std::uint32_t max_queue = 0;
  std::uint64_t inflight_bytes = 0;  // requests and replies held (agent/inflight_budget.hpp)
  std::uint64_t max_inflight_bytes = 0;
  std::uint64_t connections_at_share = 0;
  std::uint32_t workers = 0;
  bool draining = false;
  double uptime_seconds = 0;
  std::optional<std::uint32_t> cpu;           // thousandths
  std::optional<std::uint32_t> load_average;  // thousandths
};

class AgentMetrics {
 public:
  AgentMetrics(std::string name, std::string instance, std::string version);

  // A call or cast answered (or, for a cast, accepted and then run): its
  // function ("" when the agent has none by that name), mode ("call",
  // "cast"), code ("ok", an error code's name, or "exit_nonzero": a
  // program that ran and exited non-zero) and, if it ran, how long it took.
  void call_ended(std::string_view function, std::string_view mode, std::string_view code,
                  std::optional<std::chrono::steady_clock::duration> took);
  // A frame that was not a request: answered with bad_request (refused), or
  // without a usable envelope, so unanswerable (dropped).
  void frame_refused();
  void frame_dropped();
  // A reply that could not be handed to its caller: `reason` is caller_gone
  // (it disconnected first, as after its own timeout) or caller_not_reading
  // (its queue is full: it sends and does not read).
  void reply_dropped(std::string_view reason);
  // A request refused, nothing run, because of `limit`: max_queue (calls in
  // flight) or max_inflight_bytes (the memory budget).
  void refused_at_capacity(std::string_view limit);
  // Something that happened on the bus: "announced", "hub_subscribed", or a
  // hosted hub's "joined", "updated", "left", "expired", "dropped",
  // "conflict", "snapshot_served", "snapshot_refused".
  void bus_event(std::string_view event);
  // A hosted hub's members, by group (replaces what was there).
  void set_hub_members(std::map<std::string, std::size_t, std::less<>> by_group);

  std::vector<MetricFamily> families(const LiveFigures& live) const;

 private:
  // Found by views (CallKey::View), so counting a call that was counted
  // before allocates nothing.
  struct CallKey {
    struct View {
      std::string_view function, mode, code;
      friend auto operator<=>(const View&, const View&) = default;
    };
    std::string function;
    std::string mode;
    std::string code;
    View view() const { return {function, mode, code}; }
  };
  struct CallKeyOrder {
    using is_transparent = void;
    static CallKey::View of(const CallKey& key) { return key.view(); }
    static CallKey::View of(const CallKey::View& key) { return key; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return of(a) < of(b);
    }
  };
  struct Histogram {
    std::array<std::uint64_t, kDurationBuckets.size()> counts{};  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  const std::string name_;
  const std::string instance_;
  const std::string version_;
  mutable std::mutex mutex_;
  std::map<CallKey, std::uint64_t, CallKeyOrder> calls_;
  std::map<std::string, Histogram, std::less<>> durations_;
  // The entries the last call was counted in: a loop serving one function
  // counts its calls with no look-up. Views of the maps' own keys, which
  // stay where they are (entries are never erased).
  CallKey::View last_key_;
  std::uint64_t* last_count_ = nullptr;
  std::string_view last_function_;
  Histogram* last_histogram_ = nullptr;
  std::uint64_t frames_refused_ = 0;
  std::uint64_t frames_dropped_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> replies_dropped_;      // by reason
  std::map<std::string, std::uint64_t, std::less<>> refused_at_capacity_;  // by limit
  std::map<std::string, std::uint64_t, std::less<>> bus_events_;
  std::optional<std::map<std::string, std::size_t, std::less<>>> hub_members_;
};

}  // namespace rpclb::agent
