// AlgorithmEntry: a policy as the catalog knows it (algorithms/registry.hpp).
// Each built-in policy gives its own entry from its folder: its name, the
// --opt keys it takes, and a factory that parses and checks them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

// A policy by name: the --opt keys it takes, how it is built, and where it
// comes from (empty for a built-in; a plug-in's path), for errors to name.
struct AlgorithmEntry {
  std::string name;
  std::vector<std::string> option_names;
  AlgorithmFactory make;
  std::string origin;
};

// The entry of a policy that takes no options.
template <typename Policy>
AlgorithmEntry plain_entry(std::string name) {
  return {std::move(name),
          {},
          [](const AlgorithmOptions&) -> Result<std::unique_ptr<SelectionAlgorithm>> {
            return std::unique_ptr<SelectionAlgorithm>(std::make_unique<Policy>());
          },
          {}};
}

// The --opt `name` as a whole number from 1 to `most`, or `fallback` when it
// was not given; anything else is a bad_request naming the option.
Result<std::uint32_t> whole_number_option(const AlgorithmOptions& options, std::string_view name,
                                          std::uint32_t fallback, std::uint32_t most);

// The entry of a policy built from one such whole-number option.
template <typename Policy>
AlgorithmEntry whole_number_entry(std::string name, std::string option, std::uint32_t fallback, std::uint32_t most) {
  return {std::move(name),
          {option},
          [option, fallback, most](const AlgorithmOptions& options) -> Result<std::unique_ptr<SelectionAlgorithm>> {
            auto value = whole_number_option(options, option, fallback, most);
            if (!value) return value.error();
            return std::unique_ptr<SelectionAlgorithm>(std::make_unique<Policy>(*value));
          },
          {}};
}

}  // namespace rpclb::algorithms
