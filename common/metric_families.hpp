// Metrics as Prometheus models them: families of samples, each family one
// name, help line and type. An agent builds them (agent/metrics.hpp); they
// leave it as Prometheus text on /metrics and as MessagePack from sys.stats,
// which `rpclb stats` reads back. One form, so both carry the same figures.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpclb/error.hpp"

namespace rpclb {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct MetricSample {
  std::string name;  // the family's name, or for a histogram it + _bucket, _sum, _count
  MetricLabels labels;
  double value = 0;
  friend bool operator==(const MetricSample&, const MetricSample&) = default;
};

struct MetricFamily {
  std::string name;
  std::string help;
  std::string type;  // counter, gauge or histogram
  std::vector<MetricSample> samples;
  friend bool operator==(const MetricFamily&, const MetricFamily&) = default;
};

// The text exposition format, version 0.0.4 (what /metrics serves).
std::string prometheus_text(const std::vector<MetricFamily>& families);
// One sample as a line of that format, without the newline:
//   name{label="value",...} 12
std::string sample_text(const MetricSample& sample);

// sys.stats's value: an array of maps {name, help, type, samples: [{name,
// labels: {..}, value}]}, which reads well as JSON too.
std::string pack_families(const std::vector<MetricFamily>& families);
Result<std::vector<MetricFamily>> unpack_families(std::string_view msgpack_value);

}  // namespace rpclb
