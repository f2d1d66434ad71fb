#include "lib/policy.hpp"

#include <unordered_set>

#include "lib/exception_text.hpp"

namespace rpclb {

Policy::Policy(std::shared_ptr<SelectionAlgorithm> algorithm, std::string label)
    : algorithm_(std::move(algorithm)), label_(std::move(label)), state_use_(algorithm_->state_use()) {}

// Called from a catch block only.
Error Policy::failed(std::string_view step) const {
  return make_error(ErrorCode::internal, "algorithm " + label_ + " failed in " + std::string(step) + ": it threw " +
                                             current_exception_text());
}

Status Policy::in_range(std::size_t index, std::size_t size) const {
  if (index < size) return {};
  return make_error(ErrorCode::internal, "algorithm " + label_ + " chose member #" + std::to_string(index) + " of " +
                                             std::to_string(size) + ", which does not exist");
}

Result<std::size_t> Policy::choose_one(const Selection& selection, AlgorithmState& state) {
  Result<std::size_t> one = std::size_t{0};
  try {
    one = algorithm_->choose_one(selection, state);
  } catch (...) {
    return failed("choose_one");
  }
  if (!one) return one;
  if (auto valid = in_range(*one, selection.members.size()); !valid) return valid.error();
  return one;
}

Result<std::vector<std::size_t>> Policy::choose(const Selection& selection, AlgorithmState& state, std::size_t count) {
  if (count == 1) {
    auto one = choose_one(selection, state);
    if (!one) return one.error();
    return std::vector<std::size_t>{*one};
  }
  std::vector<std::size_t> chosen;
  try {
    auto many = algorithm_->choose_many(selection, state, count);
    if (!many) return many.error();
    chosen = std::move(many).value();
  } catch (...) {
    return failed("choose_many");
  }
  if (chosen.empty() || chosen.size() > count) {
    return make_error(ErrorCode::internal, "algorithm " + label_ + " chose " + std::to_string(chosen.size()) +
                                               " members when asked for " + std::to_string(count));
  }
  // Distinct, because each chosen member gets its own call.
  std::unordered_set<std::size_t> distinct;
  for (auto index : chosen) {
    if (auto valid = in_range(index, selection.members.size()); !valid) return valid.error();
    if (!distinct.insert(index).second) {
      return make_error(ErrorCode::internal,
                        "algorithm " + label_ + " chose " + selection.members[index].name + " twice");
    }
  }
  return chosen;
}

Status Policy::notice(std::span<const Member> group, AlgorithmState& state) {
  const auto version = algorithms::membership_version(group);
  if (version == seen_group_) return {};
  try {
    algorithm_->members_changed(group, state);
  } catch (...) {
    return failed("members_changed");
  }
  seen_group_ = version;
  return {};
}

Status Policy::release(std::string_view member, AlgorithmState& state) {
  try {
    algorithm_->release(member, state);
  } catch (...) {
    return failed("release");
  }
  return {};
}

Status Policy::observe(std::string_view member, std::chrono::microseconds round_trip, AlgorithmState& state) {
  try {
    algorithm_->observe(member, round_trip, state);
  } catch (...) {
    return failed("observe");
  }
  return {};
}

}  // namespace rpclb
