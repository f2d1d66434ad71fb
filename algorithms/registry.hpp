// The one place that knows every selection policy by name: the built-ins,
// and a catalog that the policies of plug-ins can join.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

class AlgorithmCatalog {
 public:
  // The built-in policies.
  static AlgorithmCatalog built_in();

  // Adds a policy; a name already taken is a bad_request naming both origins.
  Status add(AlgorithmEntry entry);
  // Builds the named policy with its options; an unknown name or option is a
  // bad_request listing the valid choices.
  Result<std::unique_ptr<SelectionAlgorithm>> make(std::string_view name, const AlgorithmOptions& options) const;
  const AlgorithmEntry* find(std::string_view name) const;
  std::vector<std::string_view> names() const;

 private:
  std::vector<AlgorithmEntry> entries_;
};

// The built-in catalog's make() and names().
Result<std::unique_ptr<SelectionAlgorithm>> make_algorithm(std::string_view name, const AlgorithmOptions& options);
std::vector<std::string_view> algorithm_names();

}  // namespace rpclb::algorithms
