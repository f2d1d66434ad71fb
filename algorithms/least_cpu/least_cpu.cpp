#include "algorithms/least_cpu/least_cpu.hpp"

#include <algorithm>

namespace rpclb::algorithms {

const std::vector<std::size_t>& LeastCpuAlgorithm::eligible(const Selection& selection) {
  const auto& members = selection.members;
  if (selection.load_version != 0 && selection.load_version == load_version_ && members.size() == size_) {
    return eligible_;
  }
  load_version_ = selection.load_version;
  size_ = members.size();
  eligible_.clear();
  std::uint32_t least = protocol::kUnknownFigure;
  for (const auto& member : members) least = std::min(least, member.cpu);
  // Without any figure, every member is as good as another.
  const auto ceiling = least == protocol::kUnknownFigure ? least : least + threshold_;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].cpu <= ceiling) eligible_.push_back(i);
  }
  return eligible_;
}

Result<std::size_t> LeastCpuAlgorithm::choose_one(const Selection& selection, AlgorithmState&) {
  const auto& choices = eligible(selection);
  return choices[uniform_index(selection.rng, choices.size())];
}

Result<std::vector<std::size_t>> LeastCpuAlgorithm::choose_many(const Selection& selection, AlgorithmState&,
                                                                std::size_t count) {
  std::vector<std::size_t> order(selection.members.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), selection.rng);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return selection.members[a].cpu < selection.members[b].cpu; });
  order.resize(std::min(count, order.size()));
  return order;
}

AlgorithmEntry least_cpu_entry() {
  return whole_number_entry<LeastCpuAlgorithm>("least_cpu", "threshold", kDefaultCpuThreshold, 100);
}

}  // namespace rpclb::algorithms
