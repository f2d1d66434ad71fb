#include "lib/fan_out.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <utility>

#include "common/rpc_pipeline.hpp"
#include "common/zmq_helpers.hpp"
#include "lib/call_attempts.hpp"

namespace rpclb {

bool exchange_each(zmq::context_t& context, const std::vector<Member>& members, const FanOut& fan_out,
                   const OnExchanged& on_exchanged, const FanOutWatch& watch) {
  // One thread, one pipeline: every member's request in flight at once (up
  // to `parallel`), each started as another ends.
  RpcPipeline pipeline(context, fan_out.transport.curve, fan_out.transport.connect_timeout, RpcPipeline::Idle::close);
  std::mt19937_64 ids(std::random_device{}());
  const auto deadline = fan_out.transport.deadline;
  std::size_t next = 0;
  std::size_t running = 0;
  bool stopping = false;  // abandoned requests' completions are not reported
  auto start_next = [&] {
    const auto i = next++;
    protocol::CallRequest request{ids(),
                                  fan_out.mode,
                                  fan_out.function,
                                  fan_out.args_msgpack,
                                  static_cast<std::uint32_t>(remaining(deadline).count()),
                                  {},
                                  {},
                                  fan_out.request_id,
                                  fan_out.input};
    protocol::address_to(request, members[i]);
    const auto sent = Clock::now();
    if (watch.on_sent) watch.on_sent(members[i]);
    auto submitted = protocol::can_carry(request, members[i]);
    if (submitted)
      submitted =
          pipeline.submit(members[i].endpoint, request, deadline, [&, i, sent](Result<protocol::CallReply>&& reply) {
            --running;
            if (stopping) return;
            on_exchanged(i, Exchanged{std::move(reply),
                                      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent)});
          });
    if (submitted) {
      ++running;
    } else {
      on_exchanged(i, Exchanged{submitted.error(), {}});
    }
  };
  const auto parallel = std::max<std::size_t>(1, fan_out.parallel);
  while (next < members.size() || running > 0) {
    if (watch.stopped()) {
      stopping = true;
      pipeline.abandon_all("the fan-out was stopped");
      return false;
    }
    while (next < members.size() && running < parallel) start_next();
    if (running == 0) continue;
    const auto until = watch.on_tick ? std::min(deadline, Clock::now() + watch.tick) : deadline;
    pipeline.turn(until, watch.wake_fd);
    if (watch.on_tick) watch.on_tick();
  }
  return true;
}

std::vector<Result<CallOutcome>> call_each(zmq::context_t& context, const std::vector<Member>& members,
                                           const FanOut& fan_out) {
  std::vector<std::optional<Result<CallOutcome>>> arrived(members.size());
  exchange_each(context, members, fan_out, [&](std::size_t i, Exchanged exchanged) {
    auto& [reply, round_trip] = exchanged;
    arrived[i] =
        reply ? outcome_of(members[i], std::move(reply).value(), round_trip) : Result<CallOutcome>(reply.error());
  });
  std::vector<Result<CallOutcome>> out;
  out.reserve(members.size());
  for (auto& outcome : arrived) out.push_back(std::move(*outcome));
  return out;
}

namespace {

// Whether a chosen member's failure leaves the request for another: it never
// ran there (it could not be taken, or the member lacks the function).
bool never_ran(const Result<CallOutcome>& outcome) {
  return !outcome &&
         (outcome.error().code == ErrorCode::service_unavailable || outcome.error().code == ErrorCode::not_found);
}

}  // namespace

Result<FanOutResults> fan_out(BalancerParts& parts, std::size_t count, const FanOut& request,
                              const ExchangeEach& exchange, const FanOutWatch& watch) {
  if (auto valid = valid_function(request.function); !valid) return valid.error();
  const auto deadline = request.transport.deadline;
  Result<std::vector<Member>> batch = make_error(ErrorCode::internal, "nobody chosen");
  if (count == 0) {
    auto found = parts.candidates.find(deadline, {});
    if (!found) return found.error();
    batch = std::vector<Member>(found->matching().begin(), found->matching().end());
  } else {
    batch = parts.choose(count, deadline, {}, std::nullopt, Purpose::first_attempt);
  }
  if (!batch) return batch.error();
  const bool holds = count != 0 && parts.memory.holds_selections();
  FanOutResults out;
  if (count > batch->size()) {
    out.notes.push_back("chose " + std::to_string(batch->size()) + " of the " + std::to_string(count) +
                        " members asked for (the others are missing, or ejected on this host)");
  }
  if (watch.on_planned) watch.on_planned(batch->size());
  std::set<std::string> asked;
  for (std::uint32_t round = 0;; ++round) {
    auto skipped = parts.selector.take_skipped();
    // This round's answers by place in the batch: final ones are kept in the
    // order chosen; members that could not take it (it never ran there) are
    // to be replaced.
    std::vector<std::optional<Result<CallOutcome>>> final_results(batch->size());
    std::vector<std::pair<Member, Result<CallOutcome>>> unserved;
    std::vector<bool> arrived(batch->size(), false);
    Status settle_failed;
    const auto on_exchanged = [&](std::size_t i, Exchanged exchanged) {
      const auto& member = (*batch)[i];
      auto& [reply, round_trip] = exchanged;
      arrived[i] = true;
      if (watch.on_arrived) watch.on_arrived(member);
      asked.insert(member.name);
      const Ended ended{member, reply, round_trip};
      if (auto settled = parts.outcomes.settle(parts.memory, {&ended, 1}, holds, request.mode, deadline);
          !settled && settle_failed) {
        settle_failed = std::move(settled);
      }
      auto outcome =
          reply ? outcome_of(member, std::move(reply).value(), round_trip) : Result<CallOutcome>(reply.error());
      parts.trace.report(member, round + 1, outcome, round_trip, std::exchange(skipped, {}),
                         parts.outcomes.take_ejected_until(member.name),
                         !request.request_id.empty() && !protocol::reads_request_id(member));
      if (count != 0 && never_ran(outcome)) {
        unserved.emplace_back(member, std::move(outcome));
        return;
      }
      if (watch.on_result) watch.on_result(member, outcome);
      final_results[i] = std::move(outcome);
    };
    const bool finished = exchange(*batch, request, on_exchanged, watch);
    if (!settle_failed) return settle_failed.error();
    for (std::size_t i = 0; i < batch->size(); ++i) {
      if (final_results[i]) {
        out.members.push_back((*batch)[i]);
        out.results.push_back(std::move(*final_results[i]));
      }
    }
    if (!finished) {
      out.stopped = true;
      for (std::size_t i = 0; i < batch->size(); ++i) {
        if (!arrived[i]) out.pending.push_back((*batch)[i]);
      }
      for (auto& [member, outcome] : unserved) {
        if (watch.on_result) watch.on_result(member, outcome);
        out.members.push_back(std::move(member));
        out.results.push_back(std::move(outcome));
      }
      return out;
    }
    if (unserved.empty()) return out;
    Result<std::vector<Member>> more = make_error(ErrorCode::service_unavailable, "out of retries");
    if (round < parts.retry.retries && Clock::now() < deadline)
      more = parts.choose(unserved.size(), deadline, asked, std::nullopt, Purpose::retry);
    const auto replacements = more ? more->size() : 0;
    for (std::size_t i = 0; i < unserved.size(); ++i) {
      auto& [member, outcome] = unserved[i];
      if (i < replacements) {
        out.notes.push_back("replaced " + member.name + ": " + outcome.error().message);
      } else {
        if (watch.on_result) watch.on_result(member, outcome);
        out.members.push_back(std::move(member));
        out.results.push_back(std::move(outcome));
      }
    }
    if (replacements == 0) return out;
    batch = std::move(more);
  }
}

}  // namespace rpclb
