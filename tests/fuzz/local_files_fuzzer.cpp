// libFuzzer target: what rpclb reads from the local machine and from users
// besides the command line: the balancer state file, endpoints (bus lists,
// --listen, announced ones) and CURVE key files. Nothing may crash; a state
// file that parses must survive serialize -> parse unchanged, with counts
// never negative or past the cap; an endpoint list that splits has no empty
// entry.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/curve.hpp"
#include "common/endpoint.hpp"
#include "common/member_rules.hpp"
#include "lib/state/balancer_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto state = rpclb::state::BalancerState::parse(text);
  if (state) {
    for (const auto& [node, count] : state->outstanding_by_node()) {
      if (count <= 0 || count > rpclb::state::kMaxOutstanding) std::abort();
    }
    // What a caller does with a state it read: none of it may overflow.
    state->set_chooser({1, 1'000'000, 600'000});
    state->expire_holds([](std::int64_t) { return false; });
    (void)state->tally_since(0);
    for (const auto& [node, record] : state->ejections()) {
      if (record.timeouts < 0 || record.ejections < 0) std::abort();
    }
    auto again = rpclb::state::BalancerState::parse(state->serialize());
    if (!again || again->serialize() != state->serialize()) std::abort();
  }

  (void)rpclb::validate_endpoint(text, true);
  (void)rpclb::validate_endpoint(text, false);
  (void)rpclb::validate_member_endpoint(text);
  (void)rpclb::bus_address(text);
  if (auto list = rpclb::split_endpoint_list(text)) {
    for (const auto& item : *list) {
      if (item.empty()) std::abort();
    }
  }

  // Key files are read from disk: one private scratch file, rewritten each run.
  static const std::string path = [] {
    char name[] = "/tmp/rpclb-fuzz-key-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd >= 0) ::close(fd);
    return std::string(name);
  }();
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  if (fd < 0) return 0;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) return 0;
  auto keys = rpclb::load_keypair(path);
  if (keys && (keys->public_key.size() != 40 || keys->secret_key.size() != 40)) std::abort();
  (void)rpclb::load_public_key(path);
  return 0;
}
