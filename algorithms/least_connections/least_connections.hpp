// least_connections: the member with the lowest effective load (calls in
// flight it announced + this caller's unreleased selections of it); ties are
// broken uniformly at random. Each choice counts as an outstanding selection
// until released (`rpclb release`, or the end of `rpclb call`).
//
// A long-lived policy keeps members bucketed by load, so a choice and its
// release cost O(log distinct loads) instead of a scan. The index is rebuilt
// whenever the members, their announced loads or the state change behind its
// back (a one-shot rpclb builds it once per process).
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "algorithms/algorithm_entry.hpp"
#include "algorithms/selection_algorithm.hpp"
#include "common/text.hpp"

namespace rpclb::algorithms {

class LeastConnectionsAlgorithm final : public SelectionAlgorithm {
 public:
  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override;
  void release(std::string_view node, AlgorithmState& state) override;
  StateUse state_use() const override { return StateUse::selections; }

 private:
  bool index_is_current(const Selection& selection, const AlgorithmState& state) const;
  void rebuild(const Selection& selection, const AlgorithmState& state);
  void move(std::uint32_t member, std::int64_t new_load);

  // Which state and members the index describes.
  const AlgorithmState* state_ = nullptr;
  std::uint64_t state_generation_ = 0;
  std::uint64_t load_version_ = 0;
  std::size_t size_ = 0;

  std::vector<std::int64_t> load_;                              // effective load per member
  std::map<std::int64_t, std::vector<std::uint32_t>> buckets_;  // load -> members with it
  std::vector<std::uint32_t> slot_;                             // member's position in its bucket
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> by_name_;
};

// Its entry in the catalog (algorithms/registry.cpp), options parsed here.
AlgorithmEntry least_connections_entry();

}  // namespace rpclb::algorithms
