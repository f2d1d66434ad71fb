#include "lib/fan_out.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <set>

#include "common/rpc_pipeline.hpp"
#include "common/zmq_helpers.hpp"
#include "lib/call_attempts.hpp"

namespace rpclb {

std::vector<Exchanged> exchange_each(zmq::context_t& context, const std::vector<Member>& members,
                                     const FanOut& fan_out) {
  // One thread, one pipeline: every member's request in flight at once (up
  // to `parallel`), each started as another ends.
  RpcPipeline pipeline(context, fan_out.transport.curve, fan_out.transport.connect_timeout, RpcPipeline::Idle::close);
  std::vector<std::optional<Exchanged>> results(members.size());
  std::mt19937_64 ids(std::random_device{}());
  const auto deadline = fan_out.transport.deadline;
  std::size_t next = 0;
  std::size_t running = 0;
  auto start_next = [&] {
    const auto i = next++;
    protocol::CallRequest request{ids(),
                                  fan_out.mode,
                                  fan_out.function,
                                  fan_out.args_msgpack,
                                  static_cast<std::uint32_t>(remaining(deadline).count()),
                                  {},
                                  {},
                                  fan_out.request_id};
    protocol::address_to(request, members[i]);
    const auto sent = Clock::now();
    auto submitted =
        pipeline.submit(members[i].endpoint, request, deadline, [&, i, sent](Result<protocol::CallReply> reply) {
          results[i] =
              Exchanged{std::move(reply), std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent)};
          --running;
        });
    if (submitted) {
      ++running;
    } else {
      results[i] = Exchanged{submitted.error(), {}};
    }
  };
  const auto parallel = std::max<std::size_t>(1, fan_out.parallel);
  while (next < members.size() || running > 0) {
    while (next < members.size() && running < parallel) start_next();
    if (running > 0) pipeline.turn(deadline);
  }
  std::vector<Exchanged> out;
  out.reserve(members.size());
  for (auto& result : results) out.push_back(std::move(*result));
  return out;
}

std::vector<Result<CallOutcome>> call_each(zmq::context_t& context, const std::vector<Member>& members,
                                           const FanOut& fan_out) {
  auto exchanged = exchange_each(context, members, fan_out);
  std::vector<Result<CallOutcome>> out;
  out.reserve(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto& [reply, round_trip] = exchanged[i];
    out.push_back(reply ? outcome_of(members[i], std::move(reply).value(), round_trip)
                        : Result<CallOutcome>(reply.error()));
  }
  return out;
}

Result<FanOutResults> fan_out(BalancerParts& parts, std::size_t count, const FanOut& request,
                              const ExchangeEach& exchange) {
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
  std::set<std::string> asked;
  for (std::uint32_t round = 0;; ++round) {
    auto exchanged = exchange(*batch, request);
    std::vector<Ended> ended;
    for (std::size_t i = 0; i < batch->size(); ++i) {
      ended.push_back({(*batch)[i], exchanged[i].reply, exchanged[i].round_trip});
    }
    if (auto settled = parts.outcomes.settle(parts.memory, ended, holds, request.mode, deadline); !settled) {
      return settled.error();
    }
    auto skipped = parts.selector.take_skipped();
    // Members that could not take it (it never ran there), to be replaced.
    std::vector<std::pair<Member, Result<CallOutcome>>> unserved;
    for (std::size_t i = 0; i < batch->size(); ++i) {
      const auto& member = (*batch)[i];
      auto& [reply, round_trip] = exchanged[i];
      asked.insert(member.name);
      auto outcome =
          reply ? outcome_of(member, std::move(reply).value(), round_trip) : Result<CallOutcome>(reply.error());
      parts.trace.report(member, round + 1, outcome, round_trip,
                         i == 0 ? std::move(skipped) : std::vector<std::string>{},
                         parts.outcomes.take_ejected_until(member.name),
                         !request.request_id.empty() && !protocol::reads_request_id(member));
      if (count != 0 && !outcome && outcome.error().code == ErrorCode::service_unavailable) {
        unserved.emplace_back(member, std::move(outcome));
      } else {
        out.members.push_back(member);
        out.results.push_back(std::move(outcome));
      }
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
        out.members.push_back(std::move(member));
        out.results.push_back(std::move(outcome));
      }
    }
    if (replacements == 0) return out;
    batch = std::move(more);
  }
}

}  // namespace rpclb
