// ns per selection for every policy at 10, 100, 1,000 and 10,000 members.
//
// Measures choose_one on a long-lived policy object with in-memory state, as
// a library user (or a future long-lived balancer) would drive it; one-shot
// CLI costs (discovery, the state file) are measured by bench/oneshot-latency.
// Run: bench/run-selection (or build/bench/selection_bench).
//
// select/least_recently_used/{built_in,plugin} weigh a choice through a
// plug-in (examples/least_recently_used, loaded from its .so) against the
// same source compiled into this binary, both as the balancer calls them
// (lib/policy.hpp); select/round_robin/guarded is the built-in the same way,
// beside the bare select/round_robin.
#include <benchmark/benchmark.h>

#include <random>

#include "algorithms/registry.hpp"
#include "least_recently_used.hpp"
#include "lib/algorithm_plugin_loader.hpp"
#include "lib/policy.hpp"
#include "lib/state/balancer_state.hpp"

namespace rpclb::algorithms {
namespace {

using state::BalancerState;
using state::Chooser;
using state::kAnyOwner;

std::vector<Member> make_members(std::size_t count) {
  std::vector<Member> members(count);
  std::mt19937 rng(7);
  for (std::size_t i = 0; i < count; ++i) {
    members[i].name = "node-" + std::to_string(100000 + i);  // same width: name order = index order
    members[i].weight = 1 + rng() % 4;
    members[i].load = rng() % 8;
    members[i].cpu = rng() % 1000;
  }
  return members;
}

void select_one(benchmark::State& run, std::string_view algorithm) {
  const auto members = make_members(static_cast<std::size_t>(run.range(0)));
  auto policy = make_algorithm(algorithm, {});
  if (!policy) {
    run.SkipWithError(policy.error().message.c_str());
    return;
  }
  BalancerState state;
  state.set_chooser(Chooser{kAnyOwner, 1'000'000, 600'000});
  std::mt19937_64 rng(42);
  const auto use = (*policy)->state_use();
  // Latency-aware policies start from a measured group, as a busy host's would.
  if (use == StateUse::latencies) {
    for (const auto& member : members)
      (*policy)->observe(member.name, std::chrono::microseconds(100 + rng() % 900), state);
  }
  const Selection selection{members, std::string("user-1234"), rng, membership_version(members), load_version(members)};
  std::vector<std::string> keys;
  for (int i = 0; i < 1024; ++i) keys.push_back("user-" + std::to_string(i));
  std::size_t round = 0;
  for (auto _ : run) {
    Selection keyed = selection;
    keyed.key = keys[round++ & 1023];
    auto chosen = (*policy)->choose_one(keyed, state);
    benchmark::DoNotOptimize(chosen);
    // Connection-tracking policies: release at once, as `rpclb call` does,
    // and a latency-aware one observes the call's round trip.
    if (use == StateUse::selections && chosen.ok()) (*policy)->release(members[*chosen].name, state);
    if (use == StateUse::latencies && chosen.ok()) {
      (*policy)->release(members[*chosen].name, state);
      (*policy)->observe(members[*chosen].name, std::chrono::microseconds(100 + (round & 511)), state);
    }
  }
}

// What a one-shot `rpclb select` pays: a new policy for every choice, so
// nothing it caches survives (weighted_round_robin's order, least_cpu's
// eligible set). `arbitrary_weights`: anywhere in 1..1,000,000; the target
// for weighted_round_robin is at most 1 ms at 1,000 members.
void select_cold(benchmark::State& run, std::string_view algorithm, bool arbitrary_weights) {
  auto members = make_members(static_cast<std::size_t>(run.range(0)));
  std::mt19937 rng(11);
  if (arbitrary_weights) {
    for (auto& member : members) member.weight = 1 + rng() % 1000000;
  }
  BalancerState state;
  std::mt19937_64 random(42);
  const Selection selection{members, std::nullopt, random, membership_version(members), load_version(members)};
  for (auto _ : run) {
    auto policy = make_algorithm(algorithm, {});
    auto chosen = (*policy)->choose_one(selection, state);
    benchmark::DoNotOptimize(chosen);
  }
}

// A choice as the balancer makes it, through Policy, for a policy `make` builds.
void select_guarded(benchmark::State& run, const std::function<Result<std::unique_ptr<SelectionAlgorithm>>()>& make) {
  const auto members = make_members(static_cast<std::size_t>(run.range(0)));
  auto made = make();
  if (!made) {
    run.SkipWithError(made.error().message.c_str());
    return;
  }
  Policy policy(std::move(made).value(), "benchmarked");
  BalancerState state;
  state.set_chooser(Chooser{kAnyOwner, 1'000'000, 600'000});
  std::mt19937_64 rng(42);
  const Selection selection{members, std::nullopt, rng, membership_version(members), load_version(members)};
  if (!policy.notice(members, state)) run.SkipWithError("members_changed failed");
  for (auto _ : run) {
    auto chosen = policy.choose(selection, state, 1);
    benchmark::DoNotOptimize(chosen);
  }
}

Result<std::unique_ptr<SelectionAlgorithm>> from_plugin(const std::string& name) {
  auto offered = load_algorithm_plugin(RPCLB_EXAMPLE_PLUGIN);
  if (!offered) return offered.error();
  for (const auto& entry : *offered) {
    if (entry.name == name) return entry.make({});
  }
  return make_error(ErrorCode::not_found, name + " is not in " RPCLB_EXAMPLE_PLUGIN);
}

void register_all() {
  benchmark::RegisterBenchmark(
      "select/least_recently_used/built_in",
      [](benchmark::State& run) { select_guarded(run, [] { return rpclb_example::make_least_recently_used({}); }); })
      ->Arg(10)
      ->Arg(1000);
  benchmark::RegisterBenchmark(
      "select/least_recently_used/plugin",
      [](benchmark::State& run) { select_guarded(run, [] { return from_plugin("least_recently_used"); }); })
      ->Arg(10)
      ->Arg(1000);
  benchmark::RegisterBenchmark(
      "select/round_robin/guarded",
      [](benchmark::State& run) { select_guarded(run, [] { return make_algorithm("round_robin", {}); }); })
      ->Arg(10)
      ->Arg(1000);
  benchmark::RegisterBenchmark("select/least_cpu_cold",
                               [](benchmark::State& run) { select_cold(run, "least_cpu", false); })
      ->Arg(10)
      ->Arg(1000)
      ->Arg(10000);
  benchmark::RegisterBenchmark("select/weighted_round_robin_cold_arbitrary_weights",
                               [](benchmark::State& run) { select_cold(run, "weighted_round_robin", true); })
      ->Arg(10)
      ->Arg(1000)
      ->Arg(10000)
      ->Unit(benchmark::kMicrosecond);
  for (auto name : algorithm_names()) {
    benchmark::RegisterBenchmark(("select/" + std::string(name)).c_str(),
                                 [name](benchmark::State& run) { select_one(run, name); })
        ->Arg(10)
        ->Arg(100)
        ->Arg(1000)
        ->Arg(10000);
  }
}

}  // namespace
}  // namespace rpclb::algorithms

int main(int argc, char** argv) {
  rpclb::algorithms::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
