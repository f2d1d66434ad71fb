// A library user's own selection algorithm, handed to rpclb::Client as a
// factory, as an object, or loaded from a plug-in: it chooses, it hears of
// the group, and when it throws the Client reports an error and carries on.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "rpclb/rpclb.hpp"
#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

// Chooses the member named by its option `pick` (the first if none), counts
// what it is asked, and throws when told to.
class Picker final : public SelectionAlgorithm {
 public:
  explicit Picker(std::string pick = {}) : pick_(std::move(pick)) {}

  Result<std::size_t> choose_one(const Selection& selection, AlgorithmState& state) override {
    ++choices;
    if (explode) throw std::runtime_error("picker exploded");
    state.set_counter("picker.choices", state.counter("picker.choices") + 1);
    for (std::size_t i = 0; i < selection.members.size(); ++i) {
      if (selection.members[i].name == pick_) return i;
    }
    return std::size_t{0};
  }
  void members_changed(std::span<const Member> group, AlgorithmState&) override {
    last_group_size = group.size();
    ++changes;
  }
  StateUse state_use() const override { return StateUse::counters; }

  std::atomic<int> choices{0};
  std::atomic<int> changes{0};
  std::atomic<std::size_t> last_group_size{0};
  std::atomic<bool> explode{false};

 private:
  std::string pick_;
};

Result<std::unique_ptr<SelectionAlgorithm>> make_picker(const AlgorithmOptions& options) {
  for (const auto& [key, value] : options) {
    if (key != "pick") return make_error(ErrorCode::bad_request, "picker has no option '" + key + "'");
  }
  auto pick = options.find("pick");
  return std::unique_ptr<SelectionAlgorithm>(std::make_unique<Picker>(pick == options.end() ? "" : pick->second));
}

class CustomPolicy : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster.start_three().listed); }

  ClientOptions options() {
    ClientOptions options;
    options.group = "web";
    options.bus = {cluster.hub_endpoint(0)};
    options.membership_refresh = 0ms;
    return options;
  }

  Cluster cluster;
};

TEST_F(CustomPolicy, AFactoryGetsTheOptionsAndItsPolicyChooses) {
  auto with = options();
  with.algorithm = "picker";
  with.algorithm_factory = make_picker;
  with.algorithm_options = {{"pick", "c"}};
  auto client = Client::create(with);
  ASSERT_TRUE(client) << client.error().message;
  auto reply = client->call("sys.info");
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->node.name, "c");
  EXPECT_EQ(client->select()->name, "c");

  // The factory's own refusal is create()'s.
  with.algorithm_options = {{"choose", "c"}};
  auto refused = Client::create(with);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::bad_request);
  EXPECT_EQ(refused.error().message, "picker has no option 'choose'");
}

TEST_F(CustomPolicy, AnObjectIsUsedAsItIsAndHearsOfTheGroup) {
  auto picker = std::make_shared<Picker>("b");
  auto with = options();
  with.algorithm = "picker";
  with.algorithm_object = picker;
  auto client = Client::create(with);
  ASSERT_TRUE(client) << client.error().message;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client->select()->name, "b");
  EXPECT_EQ(picker->choices, 3);
  // Told once of the group of three, not before every choice.
  EXPECT_EQ(picker->changes, 1);
  EXPECT_EQ(picker->last_group_size, 3u);

  cluster.start_agent("d", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b", "c", "d"}));
  EXPECT_EQ(client->select()->name, "b");
  EXPECT_EQ(picker->changes, 2);
  EXPECT_EQ(picker->last_group_size, 4u);

  // An exception is an internal error naming the policy; the next choice works.
  picker->explode = true;
  auto failed = client->call("sys.info");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::internal);
  EXPECT_EQ(failed.error().message, "algorithm picker failed in choose_one: it threw picker exploded");
  picker->explode = false;
  auto reply = client->call("sys.info");
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->node.name, "b");
}

TEST_F(CustomPolicy, AnUnnamedPolicyIsNotMistakenForTheBuiltInInErrors) {
  auto picker = std::make_shared<Picker>();
  picker->explode = true;
  auto with = options();  // algorithm left at its default, "random"
  with.algorithm_object = picker;
  auto client = Client::create(with);
  ASSERT_TRUE(client) << client.error().message;
  auto failed = client->select();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message,
            "algorithm of your own (not the built-in random) failed in choose_one: it threw picker exploded");
}

TEST_F(CustomPolicy, ContradictoryChoicesAreRefused) {
  auto both = options();
  both.algorithm_object = std::make_shared<Picker>();
  both.algorithm_factory = make_picker;
  EXPECT_EQ(Client::create(both).error().code, ErrorCode::bad_request);
  auto object_with_options = options();
  object_with_options.algorithm_object = std::make_shared<Picker>();
  object_with_options.algorithm_options = {{"pick", "a"}};
  EXPECT_EQ(Client::create(object_with_options).error().code, ErrorCode::bad_request);
}

TEST_F(CustomPolicy, AClientLoadsPlugins) {
  auto with = options();
  with.algorithm = "least_recently_used";
  with.algorithm_plugins = {binary("RPCLB_EXAMPLE_PLUGIN")};
  auto client = Client::create(with);
  ASSERT_TRUE(client) << client.error().message;
  std::vector<std::string> chosen;
  for (int i = 0; i < 4; ++i) chosen.push_back(client->select()->name);
  EXPECT_EQ(chosen, (std::vector<std::string>{"a", "b", "c", "a"}));

  with.algorithm_plugins = {binary("RPCLB_TEST_PLUGIN_DIR") + "/wrong_abi.so"};
  auto refused = Client::create(with);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::bad_request);
  EXPECT_NE(refused.error().message.find("wrong_abi.so"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace rpclb::testing
