// The harness's own promise: every process a test starts ends with the test
// process, even one killed (or crashed) before its destructors could run, and
// the next test process removes the folder it left.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/harness.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPidFileVariable = "RPCLB_HARNESS_TEST_PID_FILE";

// Run by the test below in a process of its own (disabled otherwise): starts
// a long sleep as tests start agents, in a cluster's folder, says the sleep's
// pid and the folder, and is killed at once.
TEST(HarnessChild, DISABLED_StartsASleepAndIsKilled) {
  const char* pid_file = std::getenv(kPidFileVariable);
  ASSERT_NE(pid_file, nullptr);
  Cluster cluster;
  Process sleeper({"/bin/sleep", "1000"}, {}, cluster.dir() / "sleep.out", cluster.dir() / "sleep.err");
  write_file(std::string(pid_file) + ".new", std::to_string(sleeper.pid()) + " " + cluster.dir().string());
  std::filesystem::rename(std::string(pid_file) + ".new", pid_file);
  ::kill(::getpid(), SIGKILL);
}

TEST(Harness, WhatAKilledTestStartedEndsWithIt) {
  Cluster cluster;  // for its folder
  const auto pid_file = cluster.dir() / "sleeper.pid";
  // Without meson's sharding variables, which would shard the filter away.
  Process test({"/proc/self/exe", "--gtest_filter=HarnessChild.DISABLED_StartsASleepAndIsKilled",
                "--gtest_also_run_disabled_tests"},
               {std::string(kPidFileVariable) + "=" + pid_file.string()}, cluster.dir() / "child.out",
               cluster.dir() / "child.err");
  const auto status = test.wait_for(60s);
  ASSERT_TRUE(status.has_value()) << "the child test never ended";
  ASSERT_EQ(*status, 128 + SIGKILL) << read_file(cluster.dir() / "child.out") << read_file(cluster.dir() / "child.err");
  std::istringstream said(read_file(pid_file));
  pid_t sleeper = 0;
  std::string folder;
  said >> sleeper >> folder;
  ASSERT_GT(sleeper, 0);
  ASSERT_TRUE(std::filesystem::exists(folder)) << folder;
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!has_ended(sleeper) && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(10ms);
  const bool sleeper_ended = has_ended(sleeper);
  if (!sleeper_ended) ::kill(sleeper, SIGKILL);  // this test's own mess, pass or fail
  EXPECT_TRUE(sleeper_ended) << "a process started by a test that was killed is still running";
  remove_abandoned_folders();
  const bool folder_left = std::filesystem::exists(folder);
  if (folder_left) std::filesystem::remove_all(folder);
  EXPECT_FALSE(folder_left) << "the killed test's folder " << folder << " was not removed";
}

}  // namespace
}  // namespace rpclb::testing
