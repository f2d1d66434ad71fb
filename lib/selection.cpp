#include "lib/selection.hpp"

#include <functional>
#include <set>
#include <string_view>

namespace rpclb {

Selector::Selector(bool traced, std::optional<std::string> key)
    : traced_(traced), key_(std::move(key)), rng_(std::random_device{}()) {}

Result<std::vector<Member>> Selector::choose(HostMemory& memory, const Candidates& found, std::size_t count,
                                             const std::optional<std::string>& key, Purpose purpose,
                                             Clock::time_point deadline) {
  std::vector<Member> chosen;
  auto pick = [&](const Selection& selection, state::BalancerState& state) -> Status {
    auto indices = memory.policy().choose(selection, state, count);
    if (!indices) return indices.error();
    chosen.clear();
    chosen.reserve(indices->size());
    for (auto index : *indices) chosen.push_back(selection.members[index]);
    return {};
  };
  if (auto done = choose_with(memory, found, key, purpose, deadline, pick); !done) return done.error();
  return chosen;
}

Result<Member> Selector::choose_one(HostMemory& memory, const Candidates& found, const std::optional<std::string>& key,
                                    Purpose purpose, Clock::time_point deadline) {
  Member chosen;
  auto pick = [&](const Selection& selection, state::BalancerState& state) -> Status {
    auto index = memory.policy().choose_one(selection, state);
    if (!index) return index.error();
    chosen = selection.members[*index];
    return {};
  };
  if (auto done = choose_with(memory, found, key, purpose, deadline, pick); !done) return done.error();
  return chosen;
}

template <typename Pick>
Status Selector::choose_with(HostMemory& memory, const Candidates& found, const std::optional<std::string>& key,
                             Purpose purpose, Clock::time_point deadline, Pick& pick) {
  bool store_opened = false;
  auto choose_in = [&](state::BalancerState& state) -> Status {
    store_opened = true;
    const auto now = state.chooser().now;
    // Forget members that left; judged on the whole group, not the --match subset.
    state.retain_only(*found.group);
    // A list fetched again may be the same group: the policy compares.
    if (found.group != noticed_group_) {
      if (auto noticed = memory.policy().notice(*found.group, state); !noticed) return noticed;
      noticed_group_ = found.group;
    }
    if (purpose == Purpose::retry && !memory.retry_budget().try_retry(state, now)) {
      return make_error(ErrorCode::service_unavailable, "the retry budget of this host's callers is spent");
    }
    if (purpose == Purpose::first_attempt) memory.retry_budget().count_call(state, now);
    memory.note_records(state);
    // Skipping ejected members happens before the policy sees the list, so
    // a rotation goes evenly round the members left.
    std::vector<Member> kept;
    const auto available = memory.outliers().without_ejected(found.matching(), state, now, kept);
    if (traced_) note_skipped(found.matching(), available);
    const auto [membership_version, load_version] = versions_of(found.group, available);
    return pick(Selection{available, key ? key : key_, rng_, membership_version, load_version}, state);
  };
  // By reference: a std::function holding the lambda itself would allocate.
  if (auto done = memory.update(purpose, std::ref(choose_in), deadline); !done) {
    // Another process held the state until the caller's deadline.
    if (done.error().code == ErrorCode::request_timeout) {
      return make_error(ErrorCode::request_timeout, done.error().message + "; nothing was sent");
    }
    // A policy that keeps no state still chooses when the state store is
    // unusable (a folder another user owns): it loses only the failure memory.
    if (store_opened || memory.policy().state_use() != StateUse::none) return done.error();
    if (auto chose = memory.update_scratch(purpose, std::ref(choose_in)); !chose) return chose.error();
  }
  return {};
}

std::pair<std::uint64_t, std::uint64_t> Selector::versions_of(const Group& group, std::span<const Member> available) {
  // A group is never changed once discovered, so neither are its versions.
  const bool whole_group = available.data() == group->data() && available.size() == group->size();
  if (!whole_group) return {algorithms::membership_version(available), algorithms::load_version(available)};
  if (group != versioned_group_) {
    versioned_group_ = group;
    group_membership_version_ = algorithms::membership_version(available);
    group_load_version_ = algorithms::load_version(available);
  }
  return {group_membership_version_, group_load_version_};
}

void Selector::note_skipped(std::span<const Member> matching, std::span<const Member> available) {
  skipped_ejected_.clear();
  if (available.size() == matching.size()) return;
  std::set<std::string_view> kept;
  for (const auto& member : available) kept.insert(member.name);
  for (const auto& member : matching) {
    if (!kept.contains(member.name)) skipped_ejected_.push_back(member.name);
  }
}

std::vector<std::string> Selector::take_skipped() {
  auto skipped = std::move(skipped_ejected_);
  skipped_ejected_.clear();
  return skipped;
}

Result<bool> release(HostMemory& memory, const std::string& member) {
  if (member.empty()) return make_error(ErrorCode::bad_request, "a node name is required");
  bool outstanding = false;
  auto released = memory.update(Purpose::select, [&](state::BalancerState& state) -> Status {
    const auto before = state.outstanding(member);
    if (auto released = memory.policy().release(member, state); !released) return released;
    outstanding = state.outstanding(member) < before;
    return {};
  });
  if (!released) return released.error();
  return outstanding;
}

Result<Remembered> remembered(HostMemory& memory) {
  Remembered out;
  auto read = memory.update(Purpose::select, [&](state::BalancerState& state) -> Status {
    const auto now = state.chooser().now;
    for (const auto& [member, record] : state.ejections()) {
      if (auto until = memory.outliers().ejected_until(record, now)) out.ejected_until.emplace(member, until);
    }
    for (const auto& [member, count] : state.outstanding_by_node()) out.outstanding.emplace(member, count);
    return {};
  });
  if (!read) return read.error();
  return out;
}

}  // namespace rpclb
