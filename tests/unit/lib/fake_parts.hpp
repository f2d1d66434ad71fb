// A Balancer's parts over fakes, as gRPC's policy tests use fake subchannels:
// a bus that is a list in memory, an in-memory state store, and a transport
// that answers from a table. Nothing here opens a socket.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "algorithms/registry.hpp"
#include "lib/balancer_parts.hpp"
#include "lib/call_attempts.hpp"

namespace rpclb::testing {

// A deadline no test here reaches.
inline Clock::time_point later() {
  return Clock::now() + std::chrono::seconds(5);
}

inline Member member(const std::string& name) {
  Member out;
  out.name = name;
  out.endpoint = "tcp://127.0.0.1:1/" + name;  // never dialled
  out.version = RPCLB_VERSION;
  return out;
}

inline std::vector<Member> members(std::initializer_list<const char*> names) {
  std::vector<Member> out;
  for (const char* name : names) out.push_back(member(name));
  return out;
}

inline std::vector<std::string> names(std::span<const Member> list) {
  std::vector<std::string> out;
  for (const auto& m : list) out.push_back(m.name);
  return out;
}

// The group as a bus would list it; counts how often it was asked.
struct FakeBus {
  explicit FakeBus(std::vector<Member> members = {}) : group(std::move(members)) {}
  std::vector<Member> group;
  int asked = 0;
  // Called before each answer (e.g. to let a member join).
  std::function<void(FakeBus&)> on_ask;
  Discover discover() {
    return [this](Clock::time_point) -> Result<std::vector<Member>> {
      ++asked;
      if (on_ask) on_ask(*this);
      return group;
    };
  }
};

struct PartsSettings {
  std::string algorithm = "round_robin";
  std::vector<std::string> match;
  CandidateSettings candidates{"web", {}, {}};
  FailureMemory failure_memory;
  RetrySettings retry;
  std::string request_id;
  AttemptTrace::OnAttempt on_attempt;
};

inline BalancerParts make_parts(FakeBus& bus, const PartsSettings& settings = {}) {
  auto filter = MatchFilter::parse(settings.match);
  EXPECT_TRUE(filter.ok());
  auto algorithm = algorithms::make_algorithm(settings.algorithm, {});
  EXPECT_TRUE(algorithm.ok());
  const bool traced = static_cast<bool>(settings.on_attempt);
  return BalancerParts{
      CandidateFinder(settings.candidates, std::move(filter).value(), bus.discover()),
      HostMemory(Policy(std::shared_ptr<SelectionAlgorithm>(std::move(algorithm).value()), settings.algorithm),
                 settings.failure_memory, state::StateStore::in_memory()),
      Selector(traced, std::nullopt),
      OutcomeRecorder(traced),
      AttemptTrace(settings.request_id, settings.on_attempt),
      settings.retry,
  };
}

inline protocol::CallReply value_reply(const std::string& value = "\xa2ok") {
  return protocol::CallReply::result(0, value);
}

inline protocol::CallReply agent_error(ErrorCode code, const std::string& message) {
  return protocol::CallReply::failure(0, Error{code, message});
}

// A transport that answers each member from a table (a value when the
// member is not in it), or, while `errors_first` lasts, with its next error
// whoever is asked; keeps who it was asked of, in order.
struct FakeTransport {
  std::map<std::string, Result<protocol::CallReply>> answers;
  std::deque<Error> errors_first;
  std::vector<std::string> asked;
  std::vector<protocol::CallRequest> requests;

  Result<protocol::CallReply> answer(const std::string& name) {
    asked.push_back(name);
    if (!errors_first.empty()) {
      Error next = errors_first.front();
      errors_first.pop_front();
      return next;
    }
    auto found = answers.find(name);
    return found == answers.end() ? Result<protocol::CallReply>(value_reply()) : found->second;
  }
  // As SendRequest: the member is the endpoint's last part.
  SendRequest send() {
    return [this](const std::string& endpoint, const protocol::CallRequest& request, Clock::time_point) {
      requests.push_back(request);
      return answer(endpoint.substr(endpoint.rfind('/') + 1));
    };
  }
};

}  // namespace rpclb::testing
