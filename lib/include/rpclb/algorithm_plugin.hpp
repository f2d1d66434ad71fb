// The plug-in entry point: how a shared object offers selection algorithms
// to the rpclb command (`rpclb --algorithm-plugin PATH.so --algorithm NAME`,
// or `algorithm_plugin = PATH.so` in a config file) and to
// rpclb::Client (ClientOptions::algorithm_plugins).
//
// A plug-in defines one C symbol, rpclb_algorithm_plugin, that returns a
// description of what it offers; RPCLB_ALGORITHM_PLUGIN below writes it:
//
//   #include <rpclb/algorithm_plugin.hpp>
//   class Mine final : public rpclb::SelectionAlgorithm { ... };
//   rpclb::Result<std::unique_ptr<rpclb::SelectionAlgorithm>> make_mine(const rpclb::AlgorithmOptions&);
//   RPCLB_ALGORITHM_PLUGIN({"mine", {"some_option"}, make_mine})
//
// The version rule: the first field, abi_version, keeps its place in every
// version. rpclb loads a plug-in only if it is exactly the
// kAlgorithmAbiVersion rpclb was built with, which changes whenever
// anything a plug-in's code relies on changes shape: this header,
// rpclb/algorithm.hpp, rpclb/member.hpp or rpclb/error.hpp. The objects that
// cross (Member, std::string, std::function, the vtable) are C++, so a
// plug-in is built with the same C++ standard library and its default ABI
// (on Debian: g++ or clang++ with libstdc++). Everything it calls is in
// these headers; it links nothing of librpclb.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "rpclb/algorithm.hpp"

namespace rpclb {

inline constexpr std::uint32_t kAlgorithmAbiVersion = 1;

// Longest algorithm name a plug-in may offer; names are [a-z0-9_] and begin
// with a letter, like the built-ins'.
inline constexpr std::size_t kMaxAlgorithmNameBytes = 64;

// One algorithm a plug-in offers.
struct PluginAlgorithm {
  const char* name;                       // what --algorithm names
  std::vector<const char*> option_names;  // the --opt keys its factory reads
  // Builds it from its options. rpclb checks the keys against option_names
  // first; an exception it throws is reported as an error, not a crash.
  Result<std::unique_ptr<SelectionAlgorithm>> (*make)(const AlgorithmOptions& options);
};

}  // namespace rpclb

extern "C" {

// What rpclb_algorithm_plugin returns: a pointer to static storage, valid
// for as long as the plug-in is loaded (rpclb never unloads one).
struct rpclb_algorithm_plugin_info {
  std::uint32_t abi_version;  // kAlgorithmAbiVersion of the headers it was built with
  const rpclb::PluginAlgorithm* algorithms;
  std::uint32_t algorithm_count;
};

// The entry point's type and name.
typedef const rpclb_algorithm_plugin_info* (*rpclb_algorithm_plugin_fn)(void);
#define RPCLB_ALGORITHM_PLUGIN_SYMBOL "rpclb_algorithm_plugin"

}  // extern "C"

// Defines the entry point offering the algorithms listed (PluginAlgorithm
// initialisers), built with this header's kAlgorithmAbiVersion.
#define RPCLB_ALGORITHM_PLUGIN(...)                                                                                   \
  extern "C" __attribute__((visibility("default"))) const rpclb_algorithm_plugin_info* rpclb_algorithm_plugin(void) { \
    static const rpclb::PluginAlgorithm offered[] = {__VA_ARGS__};                                                    \
    static const rpclb_algorithm_plugin_info info{rpclb::kAlgorithmAbiVersion, offered,                               \
                                                  static_cast<std::uint32_t>(sizeof offered / sizeof *offered)};      \
    return &info;                                                                                                     \
  }
