#include "algorithms/algorithm_entry.hpp"

#include <charconv>

namespace rpclb::algorithms {

Result<std::uint32_t> whole_number_option(const AlgorithmOptions& options, std::string_view name,
                                          std::uint32_t fallback, std::uint32_t most) {
  auto found = options.find(name);
  if (found == options.end()) return fallback;
  const auto& text = found->second;
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > most) {
    return make_error(ErrorCode::bad_request, "--opt " + std::string(name) + " must be a whole number from 1 to " +
                                                  std::to_string(most) + ", got '" + text + "'");
  }
  return value;
}

}  // namespace rpclb::algorithms
