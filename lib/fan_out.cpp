#include "lib/fan_out.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <random>
#include <thread>

#include "common/zmq_helpers.hpp"

namespace rpclb {

std::vector<Exchanged> exchange_each(zmq::context_t& context, const std::vector<protocol::MemberInfo>& nodes,
                                     const FanOut& fan_out) {
  std::vector<std::optional<Exchanged>> results(nodes.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    std::mt19937_64 ids(std::random_device{}());
    for (std::size_t i = next++; i < nodes.size(); i = next++) {
      protocol::CallRequest request{ids(),
                                    fan_out.mode,
                                    fan_out.function,
                                    fan_out.args_msgpack,
                                    static_cast<std::uint32_t>(remaining(fan_out.transport.deadline).count()),
                                    {},
                                    {}};
      protocol::address_to(request, nodes[i]);
      // One socket per call: RpcChannel is not thread-safe, the context is.
      const auto sent = Clock::now();
      auto reply = exchange(context, nodes[i].endpoint, request, fan_out.transport);
      const auto round_trip = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent);
      results[i] = Exchanged{std::move(reply), round_trip};
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < std::max<std::size_t>(1, std::min(fan_out.parallel, nodes.size())); ++t) {
    threads.emplace_back(worker);
  }
  for (auto& thread : threads) thread.join();
  std::vector<Exchanged> out;
  for (auto& result : results) out.push_back(std::move(*result));
  return out;
}

std::vector<Result<CallOutcome>> call_each(zmq::context_t& context, const std::vector<protocol::MemberInfo>& nodes,
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
