// least_recently_used: an example selection algorithm written outside the
// tree, against the public API only (rpclb/algorithm.hpp). It picks the
// member chosen longest ago by any caller on this host (one never chosen
// first; ties in name order), so a member that joins is used at once and
// a burst is spread over the members before any is used twice.
//
// What it keeps, in the state every rpclb process of the group on this host
// shares: a clock (least_recently_used.clock), and per member the clock when
// it was last chosen (least_recently_used.at.NAME). It forgets the members
// that leave the group (members_changed).
//
// Built twice: as a plug-in (plugin.cpp; `rpclb --algorithm-plugin
// least_recently_used.so --algorithm least_recently_used`) and into the
// selection benchmark, which compares the two.
#pragma once

#include <memory>
#include <string>

#include "rpclb/algorithm.hpp"

namespace rpclb_example {

class LeastRecentlyUsed final : public rpclb::SelectionAlgorithm {
 public:
  rpclb::Result<std::size_t> choose_one(const rpclb::Selection& selection, rpclb::AlgorithmState& state) override;
  rpclb::Result<std::vector<std::size_t>> choose_many(const rpclb::Selection& selection, rpclb::AlgorithmState& state,
                                                      std::size_t count) override;
  void members_changed(std::span<const rpclb::Member> group, rpclb::AlgorithmState& state) override;
  rpclb::StateUse state_use() const override { return rpclb::StateUse::counters; }

 private:
  std::int64_t last_chosen(const rpclb::Member& member, const rpclb::AlgorithmState& state);
  void stamp(const rpclb::Member& member, rpclb::AlgorithmState& state);

  std::string key_;  // reused for counter names, so a choice allocates nothing
};

// Its factory: it takes no options.
rpclb::Result<std::unique_ptr<rpclb::SelectionAlgorithm>> make_least_recently_used(const rpclb::AlgorithmOptions&);

}  // namespace rpclb_example
