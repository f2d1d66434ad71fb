#include "agent/host_load.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string_view>

namespace rpclb::agent {
namespace {

std::optional<std::string> first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

std::uint32_t thousandths(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return 0;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(1000, part * 1000 / whole));
}

}  // namespace

std::optional<CpuTicks> parse_cpu_line(std::string_view line) {
  if (!line.starts_with("cpu ")) return std::nullopt;
  line.remove_prefix(4);
  CpuTicks out;
  std::size_t field = 0;
  while (true) {
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) break;
    std::uint64_t ticks = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), ticks);
    if (ec != std::errc()) return std::nullopt;
    line.remove_prefix(static_cast<std::size_t>(end - line.data()));
    // guest and guest_nice (fields 9 and 10) are already counted in user and nice.
    if (field < 8) {
      out.total += ticks;
      if (field != 3 && field != 4) out.busy += ticks;  // idle, iowait
    }
    ++field;
  }
  if (field < 4) return std::nullopt;
  return out;
}

std::optional<std::uint32_t> parse_load_average(std::string_view text) {
  // "W.FF": whole part and up to three decimals.
  std::uint64_t whole = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), whole);
  if (ec != std::errc() || whole > 4'000'000) return std::nullopt;
  std::uint64_t milli = whole * 1000;
  const char* at = end;
  const char* stop = text.data() + text.size();
  if (at != stop && *at == '.') {
    std::uint64_t scale = 100;
    for (++at; at != stop && *at >= '0' && *at <= '9'; ++at) {
      milli += static_cast<std::uint64_t>(*at - '0') * scale;
      scale /= 10;
    }
  }
  if (at != stop && *at != ' ' && *at != '\n') return std::nullopt;
  return static_cast<std::uint32_t>(milli);
}

std::optional<CpuTicks> HostLoad::read_cpu() const {
  auto line = first_line(procfs_ + "/stat");
  if (!line) return std::nullopt;
  return parse_cpu_line(*line);
}

std::optional<std::uint32_t> HostLoad::read_load_average() const {
  auto line = first_line(procfs_ + "/loadavg");
  if (!line) return std::nullopt;
  return parse_load_average(*line);
}

std::optional<HostFigures> HostLoad::sample() {
  auto ticks = read_cpu();
  auto load_average = read_load_average();
  if (!ticks || !load_average) return std::nullopt;
  HostFigures figures;
  figures.load_average = *load_average;
  figures.cpu = thousandths(ticks->busy, ticks->total);
  if (previous_ && ticks->total > previous_->total && ticks->busy >= previous_->busy) {
    figures.cpu = thousandths(ticks->busy - previous_->busy, ticks->total - previous_->total);
  }
  previous_ = ticks;
  return figures;
}

}  // namespace rpclb::agent
