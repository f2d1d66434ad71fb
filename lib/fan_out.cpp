#include "lib/fan_out.hpp"

#include <algorithm>
#include <optional>
#include <random>

#include "common/rpc_pipeline.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb {

std::vector<Exchanged> exchange_each(zmq::context_t& context, const std::vector<Member>& nodes, const FanOut& fan_out) {
  // One thread, one pipeline: every member's request in flight at once (up
  // to `parallel`), each started as another ends.
  RpcPipeline pipeline(context, fan_out.transport.curve, fan_out.transport.connect_timeout, RpcPipeline::Idle::close);
  std::vector<std::optional<Exchanged>> results(nodes.size());
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
    protocol::address_to(request, nodes[i]);
    const auto sent = Clock::now();
    auto submitted =
        pipeline.submit(nodes[i].endpoint, request, deadline, [&, i, sent](Result<protocol::CallReply> reply) {
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
  while (next < nodes.size() || running > 0) {
    while (next < nodes.size() && running < parallel) start_next();
    if (running > 0) pipeline.turn(deadline);
  }
  std::vector<Exchanged> out;
  out.reserve(nodes.size());
  for (auto& result : results) out.push_back(std::move(*result));
  return out;
}

std::vector<Result<CallOutcome>> call_each(zmq::context_t& context, const std::vector<Member>& nodes,
                                           const FanOut& fan_out) {
  auto exchanged = exchange_each(context, nodes, fan_out);
  std::vector<Result<CallOutcome>> out;
  out.reserve(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto& [reply, round_trip] = exchanged[i];
    out.push_back(reply ? outcome_of(nodes[i], std::move(reply).value(), round_trip)
                        : Result<CallOutcome>(reply.error()));
  }
  return out;
}

}  // namespace rpclb
