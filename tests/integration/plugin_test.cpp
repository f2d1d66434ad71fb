// Selection algorithms from plug-ins, through the real rpclb: the example
// least_recently_used plug-in choosing and calling, and every refusal and
// misbehaviour of tests/plugins/ reported as an error, never a crash.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

std::string example_plugin() {
  return binary("RPCLB_EXAMPLE_PLUGIN");
}

std::string test_plugin(const std::string& name) {
  return binary("RPCLB_TEST_PLUGIN_DIR") + "/" + name + ".so";
}

// A refusal is bad_request (exit 2) naming the file and why.
void expect_refused(const CliResult& result, const std::string& path, const std::string& reason) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("bad_request"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(path), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(reason), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

class Plugins : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster.start_three().listed); }

  CliResult with_plugin(const std::string& plugin, std::vector<std::string> args) {
    args.insert(args.begin(), {"--algorithm-plugin", plugin});
    return cluster.rpclb(args);
  }

  // Copies the example plug-in into the test's folder with `mode`.
  std::string copy_with_mode(const std::string& name, std::filesystem::perms mode) {
    const auto copy = cluster.dir() / name;
    std::filesystem::copy_file(example_plugin(), copy);
    std::filesystem::permissions(copy, mode);
    return copy.string();
  }

  Cluster cluster;
};

TEST_F(Plugins, TheExamplePluginChoosesTheLeastRecentlyUsedMemberAcrossProcesses) {
  std::vector<std::string> chosen;
  for (int i = 0; i < 4; ++i) {
    auto result = with_plugin(example_plugin(), {"select", "web", "--algorithm", "least_recently_used"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_EQ(result.lines().size(), 1u);
    chosen.push_back(result.lines()[0]);
  }
  // Its state is the host's: each process finds the others' choices.
  EXPECT_EQ(chosen, (std::vector<std::string>{"a", "b", "c", "a"}));

  // A member that joins has never been chosen: it goes first.
  cluster.start_agent("d", {"web"});
  ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b", "c", "d"}));
  auto joined = with_plugin(example_plugin(), {"select", "web", "--algorithm", "least_recently_used"});
  EXPECT_EQ(joined.lines(), std::vector<std::string>{"d"}) << joined.err;

  // Several at once: the least recently used first (b, then c).
  auto two = with_plugin(example_plugin(), {"select", "web", "-n", "2", "--algorithm", "least_recently_used"});
  EXPECT_EQ(two.lines(), (std::vector<std::string>{"b", "c"})) << two.err;

  // And a call through it runs on the one it chose.
  auto called =
      with_plugin(example_plugin(), {"call", "web", "--algorithm", "least_recently_used", "sys.info", "--json"});
  ASSERT_EQ(called.exit_code, 0) << called.err;
  EXPECT_EQ(called.json()["node"], "a") << called.out;
}

TEST_F(Plugins, AConfigFileCanNameThePluginByAbsolutePath) {
  write_file(cluster.user_config(), "algorithm_plugin = " + example_plugin() + "\nalgorithm = least_recently_used\n");
  auto first = cluster.rpclb({"select", "web"});
  auto second = cluster.rpclb({"select", "web"});
  EXPECT_EQ(first.lines(), std::vector<std::string>{"a"}) << first.err;
  EXPECT_EQ(second.lines(), std::vector<std::string>{"b"}) << second.err;

  write_file(cluster.user_config(), "algorithm_plugin = plugins/least_recently_used.so\n");
  auto relative = cluster.rpclb({"select", "web"});
  EXPECT_EQ(relative.exit_code, 2);
  EXPECT_NE(relative.err.find("algorithm_plugin: must be an absolute path"), std::string::npos) << relative.err;
}

TEST_F(Plugins, AnUnknownNameListsThePluginsAlgorithmsToo) {
  auto result = with_plugin(example_plugin(), {"select", "web", "--algorithm", "lru"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("unknown algorithm 'lru'"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("round_robin"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("least_recently_used"), std::string::npos) << result.err;
}

TEST_F(Plugins, PluginsThatFailTheChecksAreRefusedNamingTheFileAndTheReason) {
  const auto wrong_abi = test_plugin("wrong_abi");
  expect_refused(with_plugin(wrong_abi, {"select", "web"}), wrong_abi,
                 "implements algorithm ABI version 999, and this rpclb reads version 1");
  const auto no_entry = test_plugin("no_entry_point");
  expect_refused(with_plugin(no_entry, {"select", "web"}), no_entry, "has no rpclb_algorithm_plugin entry point");
  const auto clashing = test_plugin("clashing");
  expect_refused(with_plugin(clashing, {"select", "web", "--algorithm", "round_robin"}), clashing,
                 "clashes with the built-in round_robin");
  const auto missing = (cluster.dir() / "missing.so").string();
  expect_refused(with_plugin(missing, {"select", "web"}), missing, "cannot open it");
  const auto not_a_library = (cluster.dir() / "text.so").string();
  write_file(not_a_library, "not an ELF file\n");
  ::chmod(not_a_library.c_str(), 0644);
  expect_refused(with_plugin(not_a_library, {"select", "web"}), not_a_library, "cannot load it");

  using std::filesystem::perms;
  const auto mine = perms::owner_read | perms::owner_write | perms::owner_exec | perms::group_read | perms::others_read;
  const auto group_writable = copy_with_mode("group_writable.so", mine | perms::group_write);
  expect_refused(with_plugin(group_writable, {"select", "web"}), group_writable,
                 "writable by group or others (mode 0764)");
  const auto world_writable = copy_with_mode("world_writable.so", mine | perms::others_write);
  expect_refused(with_plugin(world_writable, {"select", "web"}), world_writable,
                 "writable by group or others (mode 0746)");
  // The same file, made safe, loads.
  std::filesystem::permissions(world_writable, mine);
  auto loaded = with_plugin(world_writable, {"select", "web", "--algorithm", "least_recently_used"});
  EXPECT_EQ(loaded.exit_code, 0) << loaded.err;

  // As JSON, a refusal is the usual structured error.
  auto json = cluster.rpclb({"--json", "--algorithm-plugin", wrong_abi, "select", "web"});
  EXPECT_EQ(json.exit_code, 2);
  const auto error = nlohmann::json::parse(json.err);
  EXPECT_EQ(error["error"]["code"], "bad_request") << json.err;
  EXPECT_NE(error["error"]["message"].get<std::string>().find(wrong_abi), std::string::npos) << json.err;
}

TEST_F(Plugins, AMisbehavingPolicyIsAnErrorNeverACrash) {
  const auto plugin = test_plugin("misbehaving");
  auto select = [&](std::vector<std::string> more) {
    std::vector<std::string> args{"select", "web"};
    args.insert(args.end(), more.begin(), more.end());
    return with_plugin(plugin, args);
  };
  auto expect_internal = [](const CliResult& result, const std::string& says) {
    EXPECT_EQ(result.exit_code, 1) << result.err;  // internal: a signal would be -1 or 128+
    EXPECT_NE(result.err.find("internal"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(says), std::string::npos) << result.err;
  };
  expect_internal(select({"--algorithm", "throws_choosing"}), "failed in choose_one: it threw choice exploded");
  expect_internal(select({"--algorithm", "throws_something_odd"}), "an exception that is not a std::exception");
  expect_internal(select({"--algorithm", "out_of_range"}), "chose member #3 of 3, which does not exist");
  expect_internal(select({"--algorithm", "out_of_range", "-n", "2"}), "chose a twice");
  expect_internal(select({"--algorithm", "throws_building", "--opt", "level=9"}),
                  "its factory threw: factory exploded");
  // Its option names are checked before its factory runs.
  auto unknown_option = select({"--algorithm", "throws_building", "--opt", "depth=1"});
  EXPECT_EQ(unknown_option.exit_code, 2);
  EXPECT_NE(unknown_option.err.find("has no option 'depth' (valid: level)"), std::string::npos) << unknown_option.err;
  // An error of the policy's own is reported as it is.
  auto no_key = select({"--algorithm", "needs_key"});
  EXPECT_EQ(no_key.exit_code, 2);
  EXPECT_NE(no_key.err.find("needs_key needs --key"), std::string::npos) << no_key.err;
  EXPECT_EQ(select({"--algorithm", "needs_key", "--key", "k"}).lines(), std::vector<std::string>{"a"});

  // A release that throws: `rpclb release` says so, and a call that ran
  // still reports the failure to keep its state.
  auto release = with_plugin(plugin, {"release", "web", "a", "--algorithm", "throws_releasing"});
  expect_internal(release, "failed in release: it threw release exploded");
  auto call = with_plugin(plugin, {"call", "web", "--algorithm", "throws_releasing", "sys.info"});
  expect_internal(call, "failed in release: it threw release exploded");

  // Nothing above took an agent down.
  EXPECT_EQ(cluster.members("web"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(Plugins, CommandsThatChooseNothingDoNotLoadPlugins) {
  auto members = with_plugin(test_plugin("wrong_abi"), {"members", "web"});
  EXPECT_EQ(members.exit_code, 0) << members.err;
  EXPECT_EQ(members.lines(), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace rpclb::testing
