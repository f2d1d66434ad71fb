// A plug-in offering a name the built-ins already use.
#include "rpclb/algorithm_plugin.hpp"

namespace {

class First final : public rpclb::SelectionAlgorithm {
 public:
  rpclb::Result<std::size_t> choose_one(const rpclb::Selection&, rpclb::AlgorithmState&) override { return 0; }
};

rpclb::Result<std::unique_ptr<rpclb::SelectionAlgorithm>> make_first(const rpclb::AlgorithmOptions&) {
  return std::unique_ptr<rpclb::SelectionAlgorithm>(std::make_unique<First>());
}

}  // namespace

RPCLB_ALGORITHM_PLUGIN({"round_robin", {}, make_first})
