// The one place that knows every selection policy by name.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/selection_algorithm.hpp"

namespace rpclb::algorithms {

// Builds the named policy with its options; an unknown name or option is a
// bad_request listing the valid choices.
Result<std::unique_ptr<SelectionAlgorithm>> make_algorithm(std::string_view name, const AlgorithmOptions& options);

std::vector<std::string_view> algorithm_names();

}  // namespace rpclb::algorithms
