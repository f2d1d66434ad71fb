#include "algorithms/registry.hpp"

#include <array>
#include <functional>

#include "algorithms/random/random.hpp"
#include "algorithms/round_robin/round_robin.hpp"

namespace rpclb::algorithms {
namespace {

using Factory = std::function<Result<std::unique_ptr<SelectionAlgorithm>>(const AlgorithmOptions&)>;

struct Entry {
  std::string_view name;
  std::vector<std::string_view> option_names;
  Factory make;
};

template <typename Policy>
Factory without_options() {
  return [](const AlgorithmOptions&) -> Result<std::unique_ptr<SelectionAlgorithm>> {
    return std::unique_ptr<SelectionAlgorithm>(std::make_unique<Policy>());
  };
}

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries{
      {"random", {}, without_options<RandomAlgorithm>()},
      {"round_robin", {}, without_options<RoundRobinAlgorithm>()},
  };
  return entries;
}

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string_view> algorithm_names() {
  std::vector<std::string_view> names;
  for (const auto& entry : registry()) names.push_back(entry.name);
  return names;
}

Result<std::unique_ptr<SelectionAlgorithm>> make_algorithm(std::string_view name, const AlgorithmOptions& options) {
  for (const auto& entry : registry()) {
    if (entry.name != name) continue;
    for (const auto& [key, value] : options) {
      if (std::find(entry.option_names.begin(), entry.option_names.end(), key) == entry.option_names.end()) {
        return make_error(ErrorCode::bad_request, "algorithm " + std::string(name) + " has no option '" + key +
                                                      "' (valid: " + join(entry.option_names) + ")");
      }
    }
    return entry.make(options);
  }
  return make_error(ErrorCode::bad_request,
                    "unknown algorithm '" + std::string(name) + "' (valid: " + join(algorithm_names()) + ")");
}

}  // namespace rpclb::algorithms
