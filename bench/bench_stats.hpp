// Latency summaries shared by the round-trip benchmarks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace rpclb::bench {

using Clock = std::chrono::steady_clock;

// Prints one machine-readable line: "<name> p50_us=.. p99_us=.. calls=..".
inline void print_latency(const std::string& name, std::vector<double> micros) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1))]; };
  std::printf("%s p50_us=%.1f p99_us=%.1f calls=%zu\n", name.c_str(), at(0.50), at(0.99), micros.size());
}

inline void print_throughput(const std::string& name, int callers, long calls, double seconds) {
  std::printf("%s callers=%d calls_per_s=%.0f calls=%ld\n", name.c_str(), callers, calls / seconds, calls);
}

inline double micros_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

}  // namespace rpclb::bench
