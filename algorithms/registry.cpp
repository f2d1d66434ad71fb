#include "algorithms/registry.hpp"

#include <algorithm>
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

std::string listed(const std::vector<std::string_view>& items) {
  return items.empty() ? "none" : join(items);
}

std::string described(const AlgorithmEntry& entry) {
  return entry.origin.empty() ? "the built-in " + entry.name : entry.name + " of " + entry.origin;
}

}  // namespace

// Every built-in policy, each entry from its own folder. Add new ones here.
AlgorithmCatalog AlgorithmCatalog::built_in() {
  AlgorithmCatalog catalog;
  catalog.entries_ = {
      random_entry(),    round_robin_entry(),          least_connections_entry(), power_of_two_entry(),
      hash_ring_entry(), weighted_round_robin_entry(), least_cpu_entry(),         peak_ewma_entry(),
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
