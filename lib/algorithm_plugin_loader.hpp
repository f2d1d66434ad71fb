// Loads selection algorithms from plug-ins (rpclb/algorithm_plugin.hpp) into
// a catalog beside the built-ins, refusing what rpclb should not run.
#pragma once

#include <string>
#include <vector>

#include "algorithms/registry.hpp"

namespace rpclb {

// The algorithms the plug-in at `path` offers. bad_request, naming the file
// and the reason, if it is not a regular file; is writable by group or
// others, or owned by neither this user nor root (whoever can write it runs
// code as this user); cannot be loaded; has no rpclb_algorithm_plugin entry
// point; implements another kAlgorithmAbiVersion; or offers no algorithm,
// a malformed name or a name twice.
Result<std::vector<algorithms::AlgorithmEntry>> load_algorithm_plugin(const std::string& path);

// The built-ins and every plug-in's algorithms; a name two of them offer is
// a bad_request naming both.
Result<algorithms::AlgorithmCatalog> catalog_with_plugins(const std::vector<std::string>& paths);

}  // namespace rpclb
