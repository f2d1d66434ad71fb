// FNV-1a (64-bit): the one hash rpclb uses where a value must be the same in
// every process, on every host and with every standard library (hash-ring
// positions, state-file names), and for cheap fingerprints of member lists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rpclb {

class Fnv1a {
 public:
  Fnv1a& add(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
      hash_ ^= bytes[i];
      hash_ *= kPrime;
    }
    return *this;
  }
  Fnv1a& add(std::string_view text) { return add(text.data(), text.size()); }
  std::uint64_t value() const { return hash_; }

 private:
  static constexpr std::uint64_t kOffsetBasis = 14695981039346656037ull;
  static constexpr std::uint64_t kPrime = 1099511628211ull;
  std::uint64_t hash_ = kOffsetBasis;
};

inline std::uint64_t fnv1a(std::string_view text) {
  return Fnv1a().add(text).value();
}

}  // namespace rpclb
