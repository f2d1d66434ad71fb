#include "lib/algorithm_plugin_loader.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

#include "common/fd.hpp"
#include "lib/exception_text.hpp"
#include "rpclb/algorithm_plugin.hpp"

namespace rpclb {
namespace {

// Most algorithms one plug-in may offer: a sanity bound on a count read
// from foreign memory.
constexpr std::uint32_t kMostAlgorithmsPerPlugin = 64;

Error refused(const std::string& path, const std::string& reason) {
  return make_error(ErrorCode::bad_request, "algorithm plug-in " + path + ": " + reason);
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Names like the built-ins': a letter, then [a-z0-9_].
bool is_algorithm_name(const char* name) {
  if (name == nullptr || !(*name >= 'a' && *name <= 'z')) return false;
  std::size_t length = 0;
  for (const char* c = name; *c != '\0'; ++c, ++length) {
    const bool fits = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (!fits || length >= kMaxAlgorithmNameBytes) return false;
  }
  return true;
}

struct LibraryCloser {
  void operator()(void* handle) const { ::dlclose(handle); }
};

// The file checks are made on the descriptor that is then loaded, so the
// file cannot be swapped between the check and dlopen.
Result<std::unique_ptr<void, LibraryCloser>> open_checked(const std::string& path) {
  if (path.empty()) return refused("''", "no path given");
  const Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) return refused(path, std::string("cannot open it: ") + std::strerror(errno));
  struct stat facts {};
  if (::fstat(file.get(), &facts) != 0) return refused(path, std::string("cannot stat it: ") + std::strerror(errno));
  if (!S_ISREG(facts.st_mode)) return refused(path, "not a regular file");
  if ((facts.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return refused(path, "it is writable by group or others (mode " + octal_mode(facts.st_mode) +
                             "), so they could run code as you: chmod go-w it");
  }
  if (facts.st_uid != 0 && facts.st_uid != ::geteuid()) {
    return refused(path, "it is owned by uid " + std::to_string(facts.st_uid) + ", neither you nor root");
  }
  // Never unloaded: its code may be on a stack or in a vtable until exit.
  const std::string by_descriptor = "/proc/self/fd/" + std::to_string(file.get());
  void* handle = ::dlopen(by_descriptor.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    std::string reason = why ? why : "dlopen failed";
    // dlerror names what was opened: say the file the user named instead.
    if (reason.starts_with(by_descriptor)) reason.replace(0, by_descriptor.size(), path);
    return refused(path, "cannot load it: " + reason);
  }
  return std::unique_ptr<void, LibraryCloser>(handle);
}

}  // namespace

Result<std::vector<algorithms::AlgorithmEntry>> load_algorithm_plugin(const std::string& path) {
  auto library = open_checked(path);
  if (!library) return library.error();
  ::dlerror();
  auto* entry = reinterpret_cast<rpclb_algorithm_plugin_fn>(::dlsym(library->get(), RPCLB_ALGORITHM_PLUGIN_SYMBOL));
  if (entry == nullptr) {
    return refused(path, "it has no " RPCLB_ALGORITHM_PLUGIN_SYMBOL
                         " entry point (see rpclb/algorithm_plugin.hpp); is it an rpclb algorithm plug-in?");
  }
  const rpclb_algorithm_plugin_info* info = nullptr;
  try {
    info = entry();
  } catch (...) {
    return refused(path, "its entry point threw: " + current_exception_text());
  }
  if (info == nullptr) return refused(path, "its entry point returned nothing");
  // Only the version's place is the same in every ABI: nothing else is read
  // before it matches.
  if (info->abi_version != kAlgorithmAbiVersion) {
    return refused(path, "it implements algorithm ABI version " + std::to_string(info->abi_version) +
                             ", and this rpclb reads version " + std::to_string(kAlgorithmAbiVersion) +
                             ": rebuild it against this rpclb's headers");
  }
  if (info->algorithms == nullptr || info->algorithm_count == 0 || info->algorithm_count > kMostAlgorithmsPerPlugin) {
    return refused(path, "it offers " + std::to_string(info->algorithm_count) + " algorithms; from 1 to " +
                             std::to_string(kMostAlgorithmsPerPlugin) + " are allowed");
  }
  std::vector<algorithms::AlgorithmEntry> entries;
  std::set<std::string> names;
  for (std::uint32_t i = 0; i < info->algorithm_count; ++i) {
    const auto& offered = info->algorithms[i];
    if (!is_algorithm_name(offered.name)) {
      return refused(path, "its algorithm #" + std::to_string(i + 1) +
                               " has no valid name (a letter, then up to 63 of a-z, 0-9 and _)");
    }
    if (!names.insert(offered.name).second) return refused(path, "it offers " + std::string(offered.name) + " twice");
    if (offered.make == nullptr) return refused(path, "its algorithm " + std::string(offered.name) + " has no factory");
    // Its factory is called as every policy's is, through the balancer's
    // guard (lib/balancer.cpp, policy_for): what it throws is an error there.
    algorithms::AlgorithmEntry added{offered.name, {}, offered.make, path};
    for (const char* option : offered.option_names) {
      if (option == nullptr || *option == '\0') {
        return refused(path, "its algorithm " + added.name + " lists an empty option name");
      }
      added.option_names.emplace_back(option);
    }
    entries.push_back(std::move(added));
  }
  return entries;
}

Result<algorithms::AlgorithmCatalog> catalog_with_plugins(const std::vector<std::string>& paths) {
  auto catalog = algorithms::AlgorithmCatalog::built_in();
  for (const auto& path : paths) {
    auto offered = load_algorithm_plugin(path);
    if (!offered) return offered.error();
    for (auto& entry : *offered) {
      if (auto added = catalog.add(std::move(entry)); !added) return added.error();
    }
  }
  return catalog;
}

}  // namespace rpclb
