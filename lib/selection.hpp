// Selection: choosing members of the candidates through the policy. Members
// this host's callers ejected are skipped first (so a rotation goes evenly
// round those left), a retry spends the retry budget, and a choice made for
// a call is held until the call ends (release). Also what this host
// remembers of the members, for `rpclb members`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "lib/candidates.hpp"
#include "lib/host_memory.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb {

class Selector {
 public:
  // `traced`: note whom each choice passes over as ejected (take_skipped).
  // `key`: for key-routed policies, when a choice names none.
  Selector(bool traced, std::optional<std::string> key);

  // Up to `count` distinct members of `found.matching()` (count 1: exactly
  // one). Waits for the state store no later than `deadline`
  // (request_timeout past it: nothing was sent).
  Result<std::vector<Member>> choose(HostMemory& memory, const Candidates& found, std::size_t count,
                                     const std::optional<std::string>& key, Purpose purpose,
                                     Clock::time_point deadline);
  // One member, as choose(count 1) but without a list: a call's every attempt.
  Result<Member> choose_one(HostMemory& memory, const Candidates& found, const std::optional<std::string>& key,
                            Purpose purpose, Clock::time_point deadline);
  // Traced: whom the last choice passed over as ejected (then forgotten).
  std::vector<std::string> take_skipped();

 private:
  // Opens the state store and hands `pick` the Selection of who may be
  // chosen (members this host ejected left out, the retry budget spent);
  // `pick` may run twice (a scratch state when the store is unusable).
  template <typename Pick>
  Status choose_with(HostMemory& memory, const Candidates& found, const std::optional<std::string>& key,
                     Purpose purpose, Clock::time_point deadline, Pick& pick);
  void note_skipped(std::span<const Member> matching, std::span<const Member> available);
  // The Selection's two versions of `available`: worked out once per list
  // discovery returned when it is that whole list (a long-lived client's
  // every call), as each is a pass over every member.
  std::pair<std::uint64_t, std::uint64_t> versions_of(const Group& group, std::span<const Member> available);

  bool traced_;
  std::optional<std::string> key_;
  std::mt19937_64 rng_;
  Group noticed_group_;  // the list the policy was last told of
  // The list whose versions are below, held so its address is not reused.
  Group versioned_group_;
  std::uint64_t group_membership_version_ = 0;
  std::uint64_t group_load_version_ = 0;
  std::vector<std::string> skipped_ejected_;
};

// Tells the policy this caller is done with `member`: true if an
// outstanding selection of it was dropped, false if there was none.
Result<bool> release(HostMemory& memory, const std::string& member);

// What this host's callers remember of the group's members now.
struct Remembered {
  std::map<std::string, state::WallMs, std::less<>> ejected_until;  // skipped until (wall-clock ms)
  std::map<std::string, std::int64_t, std::less<>> outstanding;     // selections not yet released
};
Result<Remembered> remembered(HostMemory& memory);

}  // namespace rpclb
