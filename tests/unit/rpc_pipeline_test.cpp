// RpcPipeline against a scripted agent (a ROUTER socket this test drives):
// replies matched by id whatever their order, a deadline per request, bad
// replies and lost connections ending the requests they concern at once.
#include "common/rpc_pipeline.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <thread>

#include "common/zmq_helpers.hpp"
#include "tests/support/accept_and_close.hpp"
#include "tests/support/silent_resolver.hpp"
#include "tests/unit/bounded_child.hpp"

namespace rpclb {
namespace {

using namespace std::chrono_literals;

// The agent's side of the wire, driven step by step by the test.
class ScriptedAgent {
 public:
  explicit ScriptedAgent(zmq::context_t& context) : socket_(make_socket(context, zmq::socket_type::router)) {
    socket_.bind("tcp://127.0.0.1:*");
    endpoint = socket_.get(zmq::sockopt::last_endpoint);
  }

  // The next `count` requests, in arrival order (waits up to a second each).
  std::vector<protocol::CallRequest> receive(std::size_t count) {
    std::vector<protocol::CallRequest> requests;
    socket_.set(zmq::sockopt::rcvtimeo, 1000);
    while (requests.size() < count) {
      std::vector<zmq::message_t> parts;
      zmq::message_t part;
      do {
        if (!socket_.recv(part)) return requests;
        parts.push_back(std::move(part));
      } while (parts.back().more());
      if (parts.size() != 2) continue;  // a caller's identity, and its one frame
      peer_ = std::string(as_view(parts[0]));
      auto request = protocol::decode_as<protocol::CallRequest>(as_view(parts[1]));
      if (request) requests.push_back(std::move(request).value());
    }
    return requests;
  }

  void answer(std::uint64_t id, int value) {
    send(protocol::encode(protocol::CallReply::result(id, std::string(1, static_cast<char>(value)))));
  }
  void send(const std::string& frame) {
    socket_.send(zmq::buffer(peer_), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(frame));
  }
  void close() { socket_.close(); }

  std::string endpoint;

 private:
  zmq::socket_t socket_;
  std::string peer_;
};

protocol::CallRequest request(std::uint64_t id) {
  protocol::CallRequest out;
  out.id = id;
  out.function = "test.echo";
  out.args_msgpack = "\x90";
  return out;
}

class Pipeline : public ::testing::Test {
 protected:
  // Submits request `id`, recording how it ends in ended[id].
  void submit(std::uint64_t id, Clock::time_point deadline) {
    auto submitted = pipeline.submit(agent.endpoint, request(id), deadline,
                                     [this, id](Result<protocol::CallReply> reply) { ended.emplace(id, reply); });
    ASSERT_TRUE(submitted) << submitted.error().message;
  }
  // Turns (connecting, sending) until the agent has received `count`
  // requests, for at most two seconds; what it received, in order.
  std::vector<protocol::CallRequest> delivered(std::size_t count) {
    std::vector<protocol::CallRequest> received;
    const auto give_up = Clock::now() + 2s;
    while (received.size() < count && Clock::now() < give_up) {
      pipeline.turn(Clock::now() + 10ms);
      for (auto& got : agent.receive(count - received.size())) received.push_back(std::move(got));
    }
    return received;
  }
  // Turns until `count` requests have ended, for at most `limit`.
  void turn_until_ended(std::size_t count, std::chrono::milliseconds limit = 3s) {
    const auto give_up = Clock::now() + limit;
    while (ended.size() < count && Clock::now() < give_up) pipeline.turn(give_up);
  }

  zmq::context_t context;
  ScriptedAgent agent{context};
  // Before the pipeline: what it still ends as it goes is recorded here.
  std::map<std::uint64_t, Result<protocol::CallReply>> ended;
  RpcPipeline pipeline{context, std::nullopt};
};

TEST_F(Pipeline, RepliesInAnyOrderReachTheirOwnRequests) {
  const auto deadline = Clock::now() + 5s;
  for (std::uint64_t id = 1; id <= 5; ++id) submit(id, deadline);
  // Nothing ends inside submit(): the completions run from turn().
  EXPECT_TRUE(ended.empty());
  const auto received = delivered(5);
  ASSERT_EQ(received.size(), 5u);
  // Answered backwards, with a stranger's reply among them.
  agent.answer(999, 9);
  for (auto it = received.rbegin(); it != received.rend(); ++it) agent.answer(it->id, static_cast<int>(it->id));
  turn_until_ended(5);
  ASSERT_EQ(ended.size(), 5u);
  for (const auto& [id, reply] : ended) {
    ASSERT_TRUE(reply) << id << ": " << reply.error().message;
    EXPECT_EQ(reply->id, id);
    EXPECT_EQ(reply->value_msgpack, std::string(1, static_cast<char>(id)));
  }
  EXPECT_EQ(pipeline.pending(), 0u);
}

TEST_F(Pipeline, EachRequestHasItsOwnDeadline) {
  const auto start = Clock::now();
  submit(1, start + 300ms);
  submit(2, start + 5s);
  ASSERT_EQ(delivered(2).size(), 2u);
  turn_until_ended(1);
  ASSERT_EQ(ended.size(), 1u);
  ASSERT_TRUE(ended.contains(1));
  EXPECT_EQ(ended.at(1).error().code, ErrorCode::request_timeout);
  EXPECT_LT(Clock::now() - start, 1300ms);
  // The other is still waiting, and its late answer is still its own.
  agent.answer(1, 1);  // too late: ignored
  agent.answer(2, 2);
  turn_until_ended(2);
  ASSERT_TRUE(ended.contains(2));
  ASSERT_TRUE(ended.at(2)) << ended.at(2).error().message;
  EXPECT_EQ(ended.at(2)->value_msgpack, "\x02");
}

// Requests that come after others ended reuse their bookkeeping: each still
// has its own id and its own deadline.
TEST_F(Pipeline, LaterRequestsKeepTheirOwnIdsAndDeadlines) {
  const auto start = Clock::now();
  for (std::uint64_t id = 1; id <= 3; ++id) submit(id, start + 5s);
  for (const auto& got : delivered(3)) agent.answer(got.id, static_cast<int>(got.id));
  turn_until_ended(3);
  ASSERT_EQ(ended.size(), 3u);
  ended.clear();
  submit(4, Clock::now() + 300ms);
  submit(5, start + 5s);
  submit(6, start + 5s);
  ASSERT_EQ(delivered(3).size(), 3u);
  agent.answer(1, 1);  // a request that ended: nobody's now
  agent.answer(6, 6);
  agent.answer(5, 5);
  turn_until_ended(3);
  ASSERT_EQ(ended.size(), 3u);
  EXPECT_EQ(ended.at(4).error().code, ErrorCode::request_timeout);
  for (const std::uint64_t id : {5, 6}) {
    ASSERT_TRUE(ended.at(id)) << id << ": " << ended.at(id).error().message;
    EXPECT_EQ(ended.at(id)->value_msgpack, std::string(1, static_cast<char>(id)));
  }
  EXPECT_LT(Clock::now() - start, 4s);  // 4 ended at its own deadline, not at an earlier request's
  EXPECT_EQ(pipeline.pending(), 0u);
}

TEST_F(Pipeline, AnUnreadableReplyEndsTheRequestsOnItsConnectionAtOnce) {
  const auto start = Clock::now();
  submit(1, start + 10s);
  submit(2, start + 10s);
  ASSERT_EQ(delivered(2).size(), 2u);
  agent.send("\xc1 not msgpack");
  turn_until_ended(2);
  ASSERT_EQ(ended.size(), 2u);
  for (const auto& [id, reply] : ended) {
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, ErrorCode::internal);
    EXPECT_NE(reply.error().message.find("sent a bad reply"), std::string::npos) << reply.error().message;
  }
  EXPECT_LT(Clock::now() - start, 3s);
}

// A member that floods replies to requests never sent to it (hostile or
// broken) is read a turn at a time: the caller's own request still ends at
// its deadline, however fast the replies come. Read until none was left,
// the request was held for as long as the flood went on.
TEST_F(Pipeline, AMemberFloodingRepliesCannotHoldACallerPastItsDeadline) {
  const auto start = Clock::now();
  submit(1, start + 300ms);
  ASSERT_EQ(delivered(1).size(), 1u);
  // 50,000 nils: quick to send, slow to decode, so they pile up unread.
  const std::string many_nils = std::string("\xdd\x00\x00\xc3\x50", 5) + std::string(50000, '\xc0');
  const auto stranger = protocol::encode(protocol::CallReply::result(999, many_nils));
  // The agent's socket is the flood's from here on; it stops when the
  // request has ended, or after three seconds.
  std::jthread flood([&](std::stop_token stop) {
    while (!stop.stop_requested() && Clock::now() < start + 3s) agent.send(stranger);
  });
  turn_until_ended(1, 3s);
  const auto took = Clock::now() - start;
  flood.request_stop();
  flood.join();
  ASSERT_EQ(ended.size(), 1u);
  ASSERT_FALSE(ended.at(1));
  EXPECT_EQ(ended.at(1).error().code, ErrorCode::request_timeout);
  EXPECT_LT(took, 1300ms);
}

TEST_F(Pipeline, ALostConnectionEndsWhatWasSentAtOnce) {
  const auto start = Clock::now();
  submit(1, start + 10s);
  ASSERT_EQ(delivered(1).size(), 1u);
  agent.close();
  turn_until_ended(1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended.at(1).error().code, ErrorCode::request_timeout);
  EXPECT_NE(ended.at(1).error().message.find("was lost before the reply"), std::string::npos)
      << ended.at(1).error().message;
  EXPECT_LT(Clock::now() - start, 3s);
}

// A local port nobody listens on: bound, never listened, closed. (A ZeroMQ
// listener closes in its I/O thread, a moment after close() returns.)
std::string unused_endpoint() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return "tcp://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

TEST_F(Pipeline, NobodyListeningIsServiceUnavailableWithNothingSent) {
  const auto endpoint = unused_endpoint();
  const auto start = Clock::now();
  std::optional<Result<protocol::CallReply>> reply;
  ASSERT_TRUE(pipeline.submit(endpoint, request(1), start + 10s, [&](auto r) { reply = std::move(r); }));
  while (!reply && Clock::now() < start + 3s) pipeline.turn(start + 3s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->error().code, ErrorCode::service_unavailable);
  // Refused at once, or given up after the connect timeout: never the deadline.
  EXPECT_LT(Clock::now() - start, kDefaultConnectTimeout + 1s);
}

TEST_F(Pipeline, RefusedRequestsAreNeverQueued) {
  auto big = request(1);
  big.args_msgpack = std::string(protocol::kMaxFrameBytes + 1, '\0');
  auto refused = pipeline.submit(agent.endpoint, big, Clock::now() + 1s, [](auto) { FAIL() << "never queued"; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::bad_request);
  submit(7, Clock::now() + 1s);
  auto twice = pipeline.submit(agent.endpoint, request(7), Clock::now() + 1s, [](auto) { FAIL() << "never queued"; });
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::internal);
  auto unusable = pipeline.submit("tcp://", request(8), Clock::now() + 1s, [](auto) { FAIL() << "never queued"; });
  ASSERT_FALSE(unusable);
  EXPECT_EQ(unusable.error().code, ErrorCode::service_unavailable);
  EXPECT_EQ(pipeline.pending(), 1u);
}

TEST_F(Pipeline, AReplyThatArrivedIsDeliveredEvenIfTheConnectionThenDrops) {
  submit(1, Clock::now() + 10s);
  ASSERT_EQ(delivered(1).size(), 1u);
  // The agent answers and exits at once, and the caller is slow to be
  // scheduled: the reply and the loss are both there when it next looks.
  agent.answer(1, 42);
  agent.close();
  std::this_thread::sleep_for(300ms);
  turn_until_ended(1);
  ASSERT_EQ(ended.size(), 1u);
  ASSERT_TRUE(ended.at(1)) << ended.at(1).error().message;
  EXPECT_EQ(ended.at(1)->value_msgpack, std::string(1, static_cast<char>(42)));
}

TEST_F(Pipeline, AConnectionThatFailedIsClosedNotRetriedForEver) {
  const auto endpoint = unused_endpoint();
  std::optional<Result<protocol::CallReply>> reply;
  const auto give_up = Clock::now() + 5s;
  ASSERT_TRUE(pipeline.submit(endpoint, request(1), give_up, [&](auto r) { reply = std::move(r); }));
  while (!reply && Clock::now() < give_up) pipeline.turn(give_up);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->error().code, ErrorCode::service_unavailable) << reply->error().message;
  // Nothing is pending any more, so nothing should still be trying to
  // connect there (libzmq retries every 100 ms, each attempt an event for
  // a monitor nobody needs): a listener that appears now hears from nobody.
  testing::AcceptAndClose member(static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1))));
  ASSERT_TRUE(member.listening);
  for (const auto idle_until = Clock::now() + 1s; Clock::now() < idle_until;) pipeline.turn(Clock::now() + 50ms);
  EXPECT_EQ(member.accepted(), 0);
}

// A member announced by a name that a resolver never answers for: the
// request still ends by its deadline, with nothing sent (in a child, behind a
// silent resolver: tests/support/silent_resolver.hpp).
TEST(PipelineNames, ASilentResolverHoldsARequestNoLongerThanItsDeadline) {
  const int status = testing::run_bounded(
      [] {
        if (const int isolated = testing::isolate_with_silent_resolver(); isolated != 0) return isolated;

        zmq::context_t context;
        RpcPipeline pipeline(context, std::nullopt);
        const auto start = Clock::now();
        std::optional<Result<protocol::CallReply>> reply;
        auto submitted = pipeline.submit("tcp://member.rpclb-test:5555", request(1), start + 300ms,
                                         [&](auto r) { reply = std::move(r); });
        if (submitted) {
          while (!reply && Clock::now() < start + 5s) pipeline.turn(start + 5s);
        } else {
          reply = submitted.error();
        }
        const bool in_time = Clock::now() - start < 300ms + 1s;
        const bool nothing_sent = reply && !*reply && reply->error().code == ErrorCode::service_unavailable;
        return in_time && nothing_sent ? 0 : 1;
      },
      30s);
  EXPECT_EQ(status, 0) << "1: not ended by the deadline + 1 s as service_unavailable; 10-15: the scenario's set-up";
}

TEST(PipelineEnd, RequestsPendingAtTheEndAreAnsweredNotDropped) {
  zmq::context_t context;
  ScriptedAgent agent(context);
  std::vector<ErrorCode> codes;
  {
    RpcPipeline pipeline(context, std::nullopt);
    ASSERT_TRUE(pipeline.submit(agent.endpoint, request(1), Clock::now() + 10s,
                                [&](Result<protocol::CallReply> reply) { codes.push_back(reply.error().code); }));
  }
  EXPECT_EQ(codes, std::vector<ErrorCode>{ErrorCode::service_unavailable});
}

}  // namespace
}  // namespace rpclb
