// MemoryRelease: gives freed memory back to the system once what a part of
// the agent holds has fallen to half its peak: a flood is over. glibc keeps
// what is freed in its arenas for reuse, and after a flood that is hundreds
// of MiB resident for nothing. The hub's view and the calls' budget each
// keep one.
#pragma once

#include <malloc.h>

#include <cstdint>

namespace rpclb::agent {

class MemoryRelease {
 public:
  // What is held now: called as it grows and where it may have shrunk.
  void holding(std::uint64_t bytes) {
    if (bytes >= peak_) {
      peak_ = bytes;
      return;
    }
    if (peak_ < kWorthTrimming || bytes > peak_ / 2) return;
    ::malloc_trim(0);
    peak_ = bytes;
  }

 private:
  static constexpr std::uint64_t kWorthTrimming = 1024 * 1024;
  std::uint64_t peak_ = 0;
};

}  // namespace rpclb::agent
