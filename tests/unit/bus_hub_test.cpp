// BusHub in-process, on ipc:// sockets in a private folder, with its reactor
// run in slices so a test decides what is queued when the hub next looks.
#include "agent/bus_hub.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/zmq_helpers.hpp"

namespace rpclb::agent {
namespace {

using namespace std::chrono_literals;

class Hub : public ::testing::Test {
 protected:
  Hub()
      : dir_(std::filesystem::temp_directory_path() / ("rpclb-hub-test-" + std::to_string(::getpid()))),
        address_(make_address(dir_)),
        hub_(reactor_, context_, address_, 3, log_, std::nullopt, metrics_) {
    reactor_.when_due([this] { return slice_ends_; }, [this] { reactor_.stop(); });
    updates_.set(zmq::sockopt::subscribe, "");
    updates_.connect(address_.updates);
    publisher_.connect(address_.announce);
  }
  ~Hub() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static BusAddress make_address(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    return *bus_address("ipc://" + (dir / "bus").string());
  }

  void run_for(std::chrono::milliseconds slice) {
    slice_ends_ = Clock::now() + slice;
    reactor_.run();
  }

  void announce(const Member& member) {
    publisher_.send(zmq::buffer(protocol::encode(protocol::Announce{member})), zmq::send_flags::none);
  }

  // Every change the hub has published since the last call.
  std::vector<protocol::Message> changes() {
    std::vector<protocol::Message> out;
    zmq::message_t frame;
    while (updates_.recv(frame, zmq::recv_flags::dontwait)) {
      if (auto message = protocol::decode(as_view(frame)); message) out.push_back(std::move(message).value());
    }
    return out;
  }

  std::filesystem::path dir_;
  zmq::context_t context_;
  Reactor reactor_;
  Logger log_{"hub", LogLevel::error};
  BusAddress address_;
  AgentMetrics metrics_{"hub", "i", "v"};
  BusHub hub_;
  zmq::socket_t updates_{context_, zmq::socket_type::sub};
  zmq::socket_t publisher_{context_, zmq::socket_type::pub};
  std::optional<Clock::time_point> slice_ends_;
};

// A heartbeat that arrived in time but still waits in the hub's queue (the
// hub was busy) keeps its member: the hub reads before it expires anyone.
TEST_F(Hub, AQueuedHeartbeatIsReadBeforeAnyoneIsExpired) {
  const Member member{"m", "i1", "tcp://127.0.0.1:9", {"web"}, 1, 0, 100, "v"};
  ASSERT_TRUE([&] {
    for (int i = 0; i < 100; ++i) {  // until the subscription is through
      announce(member);
      run_for(20ms);
      if (!changes().empty()) return true;
    }
    return false;
  }());
  // The member's time to live (3 x 100 ms) passes while the hub is not
  // looking; its heartbeat is queued at the hub before then.
  std::this_thread::sleep_for(100ms);
  announce(member);
  std::this_thread::sleep_for(350ms);
  run_for(50ms);
  for (const auto& change : changes()) {
    EXPECT_FALSE(std::holds_alternative<protocol::Leave>(change)) << "the member was expired with its heartbeat queued";
    EXPECT_FALSE(std::holds_alternative<protocol::Expired>(change))
        << "the member was expired with its heartbeat queued";
  }
  // And a member that really went silent still goes: said to be expired,
  // then left (for watchers that do not know "expired").
  run_for(400ms);
  const auto later = changes();
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(std::get<protocol::Expired>(later[0]).name, "m");
  EXPECT_EQ(std::get<protocol::Leave>(later[1]).name, "m");
}

// A snapshot request the hub cannot read is answered with bad_request, in
// the asker's own framing, instead of silence that looks like a dead hub.
TEST_F(Hub, AMalformedSnapshotRequestIsAnsweredWithBadRequest) {
  zmq::socket_t asker(context_, zmq::socket_type::dealer);
  asker.set(zmq::sockopt::linger, 0);
  asker.connect(address_.snapshot);
  const auto ask = [&](std::vector<std::string> frames) -> std::vector<std::string> {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      asker.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    std::vector<zmq::message_t> parts;
    for (int slice = 0; slice < 100 && parts.empty(); ++slice) {
      run_for(10ms);
      receive_multipart(asker, parts);
    }
    std::vector<std::string> out;
    for (const auto& part : parts) out.emplace_back(part.to_string());
    return out;
  };
  const auto wrong_kind = ask({"", protocol::encode(protocol::Leave{"a", "b"})});
  ASSERT_EQ(wrong_kind.size(), 2u);
  EXPECT_EQ(wrong_kind[0], "");
  auto reply = protocol::decode_as<protocol::CallReply>(wrong_kind[1]);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->kind, protocol::CallReply::Kind::error);
  EXPECT_EQ(reply->id, 0u);
  EXPECT_EQ(reply->error.code, ErrorCode::bad_request);

  const auto undelimited = ask({protocol::encode(protocol::SnapshotRequest{""})});
  ASSERT_EQ(undelimited.size(), 1u);
  auto told = protocol::decode_as<protocol::CallReply>(undelimited[0]);
  ASSERT_TRUE(told.ok());
  EXPECT_NE(told->error.message.find("empty delimiter"), std::string::npos) << told->error.message;

  const auto good = ask({"", protocol::encode(protocol::SnapshotRequest{""})});
  ASSERT_EQ(good.size(), 2u);
  EXPECT_TRUE(protocol::decode_as<protocol::Snapshot>(good[1]).ok());
  const auto events = metrics_.families({});
  double served = 0;
  double refused = 0;
  for (const auto& family : events) {
    for (const auto& each : family.samples) {
      if (each.labels == MetricLabels{{"event", "snapshot_served"}}) served = each.value;
      if (each.labels == MetricLabels{{"event", "snapshot_refused"}}) refused = each.value;
    }
  }
  EXPECT_EQ(served, 1);
  EXPECT_EQ(refused, 2);
}

}  // namespace
}  // namespace rpclb::agent
