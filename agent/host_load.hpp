// HostLoad: how busy this host is, for the announcement (least_cpu chooses by
// it), sys.info and the metrics. Read from procfs like top(1) and
// node_exporter do; the folder is configurable (--procfs) for a container
// that mounts the host's procfs elsewhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpclb::agent {

struct HostFigures {
  // CPU busy since the previous sample, in thousandths of all cores (0-1000);
  // on the first sample, or when the counters did not move, since boot.
  std::uint32_t cpu = 0;
  // One-minute load average, in thousandths.
  std::uint32_t load_average = 0;
};

// The first line of /proc/stat ("cpu  user nice system idle iowait irq
// softirq steal ..."): busy is everything but idle and iowait.
struct CpuTicks {
  std::uint64_t busy = 0;
  std::uint64_t total = 0;
};
std::optional<CpuTicks> parse_cpu_line(std::string_view line);
// "0.52 0.58 0.59 1/467 12345" -> 520.
std::optional<std::uint32_t> parse_load_average(std::string_view text);

class HostLoad {
 public:
  explicit HostLoad(std::string procfs = "/proc") : procfs_(std::move(procfs)) {}

  // Reads PROCFS/stat and PROCFS/loadavg; nullopt if either is unreadable.
  std::optional<HostFigures> sample();

 private:
  std::optional<CpuTicks> read_cpu() const;
  std::optional<std::uint32_t> read_load_average() const;

  std::string procfs_;
  std::optional<CpuTicks> previous_;
};

}  // namespace rpclb::agent
