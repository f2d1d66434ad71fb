// A plug-in whose algorithms misbehave in every way a policy can from C++,
// so tests can show each is an error rpclb reports, never a crash.
#include <stdexcept>

#include "rpclb/algorithm_plugin.hpp"

namespace {

using Made = rpclb::Result<std::unique_ptr<rpclb::SelectionAlgorithm>>;

// Chooses as `choose` says; counts selections, so a call's end releases.
template <typename Choose>
class Scripted final : public rpclb::SelectionAlgorithm {
 public:
  explicit Scripted(Choose choose, bool throw_on_release = false)
      : choose_(choose), throw_on_release_(throw_on_release) {}
  rpclb::Result<std::size_t> choose_one(const rpclb::Selection& selection, rpclb::AlgorithmState& state) override {
    auto chosen = choose_(selection);
    if (chosen && *chosen < selection.members.size()) state.acquire(selection.members[*chosen].name);
    return chosen;
  }
  rpclb::Result<std::vector<std::size_t>> choose_many(const rpclb::Selection&, rpclb::AlgorithmState&,
                                                      std::size_t) override {
    return std::vector<std::size_t>{0, 0};  // the same member twice
  }
  void release(std::string_view node, rpclb::AlgorithmState& state) override {
    if (throw_on_release_) throw std::runtime_error("release exploded");
    state.release(node);
  }
  rpclb::StateUse state_use() const override { return rpclb::StateUse::selections; }

 private:
  Choose choose_;
  bool throw_on_release_;
};

template <typename Choose>
Made scripted(Choose choose, bool throw_on_release = false) {
  return std::unique_ptr<rpclb::SelectionAlgorithm>(std::make_unique<Scripted<Choose>>(choose, throw_on_release));
}

Made throws_choosing(const rpclb::AlgorithmOptions&) {
  return scripted(
      [](const rpclb::Selection&) -> rpclb::Result<std::size_t> { throw std::runtime_error("choice exploded"); });
}

Made throws_something_odd(const rpclb::AlgorithmOptions&) {
  return scripted([](const rpclb::Selection&) -> rpclb::Result<std::size_t> { throw 42; });
}

Made out_of_range(const rpclb::AlgorithmOptions&) {
  return scripted(
      [](const rpclb::Selection& selection) -> rpclb::Result<std::size_t> { return selection.members.size(); });
}

// An error of its own: reported as it is.
Made needs_key(const rpclb::AlgorithmOptions&) {
  return scripted([](const rpclb::Selection& selection) -> rpclb::Result<std::size_t> {
    if (!selection.key) return rpclb::make_error(rpclb::ErrorCode::bad_request, "needs_key needs --key");
    return std::size_t{0};
  });
}

Made throws_releasing(const rpclb::AlgorithmOptions&) {
  return scripted([](const rpclb::Selection&) -> rpclb::Result<std::size_t> { return std::size_t{0}; }, true);
}

Made throws_building(const rpclb::AlgorithmOptions& options) {
  if (options.contains("level")) throw std::runtime_error("factory exploded");
  return scripted([](const rpclb::Selection&) -> rpclb::Result<std::size_t> { return std::size_t{0}; });
}

}  // namespace

RPCLB_ALGORITHM_PLUGIN({"throws_choosing", {}, throws_choosing}, {"throws_something_odd", {}, throws_something_odd},
                       {"out_of_range", {}, out_of_range}, {"needs_key", {}, needs_key},
                       {"throws_releasing", {}, throws_releasing}, {"throws_building", {"level"}, throws_building})
