#include "algorithms/registry.hpp"

#include <algorithm>
#include <charconv>
#include <functional>

#include "algorithms/hash_ring/hash_ring.hpp"
#include "algorithms/least_connections/least_connections.hpp"
#include "algorithms/least_cpu/least_cpu.hpp"
#include "algorithms/peak_ewma/peak_ewma.hpp"
#include "algorithms/power_of_two/power_of_two.hpp"
#include "algorithms/random/random.hpp"
#include "algorithms/round_robin/round_robin.hpp"
#include "algorithms/weighted_round_robin/weighted_round_robin.hpp"
#include "common/text.hpp"

namespace rpclb::algorithms {
namespace {

using Made = Result<std::unique_ptr<SelectionAlgorithm>>;

template <typename Policy>
Made make_plain(const AlgorithmOptions&) {
  return std::unique_ptr<SelectionAlgorithm>(std::make_unique<Policy>());
}

Result<std::uint32_t> whole_number(const AlgorithmOptions& options, std::string_view name, std::uint32_t fallback,
                                   std::uint32_t max) {
  auto found = options.find(name);
  if (found == options.end()) return fallback;
  const auto& text = found->second;
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > max) {
    return make_error(ErrorCode::bad_request, "--opt " + std::string(name) + " must be a whole number from 1 to " +
                                                  std::to_string(max) + ", got '" + text + "'");
  }
  return value;
}

Made make_hash_ring(const AlgorithmOptions& options) {
  auto vnodes = whole_number(options, "vnodes", kDefaultVnodes, kMaxVnodes);
  if (!vnodes) return vnodes.error();
  return std::unique_ptr<SelectionAlgorithm>(std::make_unique<HashRingAlgorithm>(*vnodes));
}

Made make_least_cpu(const AlgorithmOptions& options) {
  auto threshold = whole_number(options, "threshold", kDefaultCpuThreshold, 100);
  if (!threshold) return threshold.error();
  return std::unique_ptr<SelectionAlgorithm>(std::make_unique<LeastCpuAlgorithm>(*threshold));
}

Made make_peak_ewma(const AlgorithmOptions& options) {
  auto decay = whole_number(options, "decay_ms", kDefaultDecayMs, kMaxDecayMs);
  if (!decay) return decay.error();
  return std::unique_ptr<SelectionAlgorithm>(std::make_unique<PeakEwmaAlgorithm>(*decay));
}

Made make_weighted_round_robin(const AlgorithmOptions& options) {
  WeightedRoundRobinAlgorithm::Weights overrides;
  if (auto found = options.find("weights"); found != options.end()) {
    auto parsed = WeightedRoundRobinAlgorithm::parse_weights(found->second);
    if (!parsed) return parsed.error();
    overrides = std::move(parsed).value();
  }
  return std::unique_ptr<SelectionAlgorithm>(std::make_unique<WeightedRoundRobinAlgorithm>(std::move(overrides)));
}

std::string listed(const std::vector<std::string_view>& items) {
  return items.empty() ? "none" : join(items);
}

std::string described(const AlgorithmEntry& entry) {
  return entry.origin.empty() ? "the built-in " + entry.name : entry.name + " of " + entry.origin;
}

}  // namespace

// Every built-in policy, by the name users pass to --algorithm. Add new ones here.
AlgorithmCatalog AlgorithmCatalog::built_in() {
  AlgorithmCatalog catalog;
  catalog.entries_ = {
      {"random", {}, make_plain<RandomAlgorithm>, {}},
      {"round_robin", {}, make_plain<RoundRobinAlgorithm>, {}},
      {"least_connections", {}, make_plain<LeastConnectionsAlgorithm>, {}},
      {"power_of_two", {}, make_plain<PowerOfTwoAlgorithm>, {}},
      {"hash_ring", {"vnodes"}, make_hash_ring, {}},
      {"weighted_round_robin", {"weights"}, make_weighted_round_robin, {}},
      {"least_cpu", {"threshold"}, make_least_cpu, {}},
      {"peak_ewma", {"decay_ms"}, make_peak_ewma, {}},
  };
  return catalog;
}

Status AlgorithmCatalog::add(AlgorithmEntry entry) {
  if (const auto* taken = find(entry.name)) {
    return make_error(ErrorCode::bad_request,
                      "algorithm " + described(entry) + " clashes with " + described(*taken) + ": names are unique");
  }
  entries_.push_back(std::move(entry));
  return {};
}

const AlgorithmEntry* AlgorithmCatalog::find(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::vector<std::string_view> AlgorithmCatalog::names() const {
  std::vector<std::string_view> names;
  for (const auto& entry : entries_) names.push_back(entry.name);
  return names;
}

Result<std::unique_ptr<SelectionAlgorithm>> AlgorithmCatalog::make(std::string_view name,
                                                                   const AlgorithmOptions& options) const {
  const auto* entry = find(name);
  if (!entry) {
    return make_error(ErrorCode::bad_request,
                      "unknown algorithm '" + std::string(name) + "' (valid: " + listed(names()) + ")");
  }
  for (const auto& [key, value] : options) {
    if (std::find(entry->option_names.begin(), entry->option_names.end(), key) == entry->option_names.end()) {
      const std::vector<std::string_view> valid(entry->option_names.begin(), entry->option_names.end());
      return make_error(ErrorCode::bad_request, "algorithm " + std::string(name) + " has no option '" + key +
                                                    "' (valid: " + listed(valid) + ")");
    }
  }
  return entry->make(options);
}

namespace {

const AlgorithmCatalog& built_ins() {
  static const auto catalog = AlgorithmCatalog::built_in();
  return catalog;
}

}  // namespace

Result<std::unique_ptr<SelectionAlgorithm>> make_algorithm(std::string_view name, const AlgorithmOptions& options) {
  return built_ins().make(name, options);
}

std::vector<std::string_view> algorithm_names() {
  return built_ins().names();
}

}  // namespace rpclb::algorithms
