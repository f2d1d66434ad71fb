// CurveZMQ: with keys configured, a peer without an authorised key can
// neither read membership, nor announce a fake member, nor call a function.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>
#include <zmq.hpp>

#include "common/curve.hpp"
#include "common/endpoint.hpp"
#include "common/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"

namespace rpclb::testing {
namespace {

using namespace std::chrono_literals;

class Curve : public ::testing::Test {
 protected:
  void SetUp() override {
    keys = cluster.dir() / "keys";
    std::filesystem::create_directories(keys / "authorized");
    for (const auto* name : {"cluster", "alice", "mallory"}) {
      ASSERT_EQ(cluster.rpclb({"keygen", (keys / name).string()}).exit_code, 0);
    }
    std::filesystem::copy_file(keys / "alice.pub", keys / "authorized" / "alice.pub");
    const std::vector<std::string> secure{"--curve-secret", (keys / "cluster.key").string(), "--curve-authorized",
                                          (keys / "authorized").string()};
    cluster.start_hub_agent(0, "a", {"web"}, secure);
    cluster.start_agent("b", {"web"}, secure);
    cluster.client_args = as("alice");
    ASSERT_TRUE(cluster.wait_for_members("web", {"a", "b"}));
    auto listed = cluster.rpclb({"members", "web", "--json", "--match", "a"});
    endpoint = listed.json()[0]["endpoint"];
  }

  std::vector<std::string> as(const std::string& who) {
    return {"--curve-secret", (keys / (who + ".key")).string(), "--curve-server-key", (keys / "cluster.pub").string()};
  }

  std::optional<CurveConfig> keys_of(const std::string& who) {
    auto own = load_keypair((keys / (who + ".key")).string());
    auto server = load_public_key((keys / "cluster.pub").string());
    return CurveConfig{*own, *server, {}};
  }

  Cluster cluster;
  std::filesystem::path keys;
  std::string endpoint;
  zmq::context_t context;
};

TEST_F(Curve, AuthorisedClientReadsMembershipAndCalls) {
  auto result = cluster.rpclb({"call", "web", "sys.echo", "secret-handshake"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.json(), nlohmann::json::array({"secret-handshake"}));
}

TEST_F(Curve, StrangersCannotReadMembership) {
  for (const auto& who : std::vector<std::vector<std::string>>{as("mallory"), {}}) {
    cluster.client_args = who;
    auto result = cluster.rpclb({"members", "web", "--bus-timeout", "500"});
    EXPECT_EQ(result.exit_code, 7) << result.out;
    EXPECT_TRUE(result.out.empty());
  }
}

TEST_F(Curve, StrangersCannotCallAFunction) {
  EXPECT_FALSE(raw_echo_call(context, endpoint, keys_of("mallory"), 1000ms).has_value()) << "mallory got an answer";
  EXPECT_FALSE(raw_echo_call(context, endpoint, std::nullopt, 1000ms).has_value()) << "a plain caller got an answer";
  // The same request from alice is answered, so silence above is the lock, not a broken agent.
  auto answered = raw_echo_call(context, endpoint, keys_of("alice"), 5000ms);
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->kind, protocol::CallReply::Kind::result);
}

TEST_F(Curve, OnlyAgentsCanAnnounceMembers) {
  const auto announce_at = bus_address(cluster.hub_endpoint(0))->announce;
  std::vector<zmq::socket_t> fakes;
  // A plain publisher, an unauthorised key, and even an authorised client
  // that is not an agent: none of them may add a member.
  for (const auto& who : {std::string("nobody"), std::string("mallory"), std::string("alice")}) {
    zmq::socket_t fake(context, zmq::socket_type::pub);
    fake.set(zmq::sockopt::linger, 0);
    if (who != "nobody") make_curve_client(fake, *keys_of(who));
    fake.connect(announce_at);
    fakes.push_back(std::move(fake));
  }
  auto forged_by = [](const std::string& who) {
    return protocol::encode(
        protocol::Announce{Member{"forged-" + who, "x", "tcp://127.0.0.1:9", {"web"}, 1, 0, 100000, "0"}});
  };
  auto send_forgeries = [&] {
    for (std::size_t i = 0; i < fakes.size(); ++i) {
      fakes[i].send(zmq::buffer(forged_by(std::to_string(i))), zmq::send_flags::dontwait);
    }
  };

  // Control: the same forgery signed with the cluster key gets in. The others
  // keep sending all along, so they have as long as it did, and longer.
  zmq::socket_t insider(context, zmq::socket_type::pub);
  insider.set(zmq::sockopt::linger, 0);
  make_curve_client(insider, *keys_of("cluster"));
  insider.connect(announce_at);
  ASSERT_TRUE(Cluster::wait_until([&] {
    send_forgeries();
    insider.send(zmq::buffer(forged_by("insider")), zmq::send_flags::dontwait);
    const auto members = cluster.members("web");
    return std::find(members.begin(), members.end(), "forged-insider") != members.end();
  }));
  for (int round = 0; round < 10; ++round) {
    send_forgeries();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(cluster.members("web"), (std::vector<std::string>{"a", "b", "forged-insider"}));
}

// --watch subscribes to the hubs' update sockets, which speak CURVE too.
TEST_F(Curve, WatchWorksWithKeysAndNotWithout) {
  auto& watch = cluster.rpclb_async({"members", "web", "--watch"}, "watch");
  ASSERT_TRUE(Cluster::wait_until([&] {
    const auto out = cluster.output_so_far("watch");
    return out.find("join a ") != std::string::npos && out.find("join b ") != std::string::npos;
  }));
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait_for(5s), 0);
  cluster.client_args = as("mallory");
  auto stranger = cluster.rpclb({"members", "web", "--watch", "--bus-timeout", "500"});
  EXPECT_EQ(stranger.exit_code, 7);
  EXPECT_TRUE(stranger.out.empty());
}

TEST_F(Curve, AgentOptionsMustComeTogether) {
  auto& lonely = cluster.start_agent("c", {"web"}, {"--curve-secret", (keys / "cluster.key").string()});
  EXPECT_EQ(lonely.wait_for(10s), 2);
  auto bad_key = cluster.rpclb({"members", "web", "--curve-server-key", (keys / "missing.pub").string()});
  EXPECT_EQ(bad_key.exit_code, 2);
}

// The keys may come from the environment or the config files instead of
// flags; a client that trusts another cluster's key is refused by name; the
// agent logs each refused client as auth_refused with its key.
TEST_F(Curve, KeysFromEnvironmentAndConfigAndTheWrongServerKey) {
  cluster.client_args = {};
  cluster.extra_env = {"RPCLB_CURVE_SECRET=" + (keys / "alice.key").string(),
                       "RPCLB_CURVE_SERVER_KEY=" + (keys / "cluster.pub").string()};
  auto from_env = cluster.rpclb({"members", "web"});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_EQ(from_env.out, "a\nb\n");

  cluster.extra_env = {};
  std::filesystem::create_directories(cluster.user_config().parent_path());
  std::ofstream(cluster.user_config()) << "curve_secret = " << (keys / "alice.key").string()
                                       << "\ncurve_server_key = " << (keys / "cluster.pub").string() << "\n";
  auto from_config = cluster.rpclb({"call", "web", "sys.echo", "configured"});
  EXPECT_EQ(from_config.exit_code, 0) << from_config.err;
  std::filesystem::remove(cluster.user_config());

  // alice's own key as the "cluster" key: no hub can prove it holds that secret.
  cluster.client_args = {"--curve-secret",     (keys / "alice.key").string(),
                         "--curve-server-key", (keys / "alice.pub").string(),
                         "--bus-timeout",      "500"};
  auto wrong = cluster.rpclb({"members", "web"});
  EXPECT_EQ(wrong.exit_code, 7);
  EXPECT_NE(wrong.err.find("are this client's keys authorised there?"), std::string::npos) << wrong.err;

  // mallory is logged by the agents she tried, with her key.
  cluster.client_args = as("mallory");
  EXPECT_EQ(cluster.rpclb({"members", "web", "--bus-timeout", "500"}).exit_code, 7);
  const auto mallory = load_public_key((keys / "mallory.pub").string());
  ASSERT_TRUE(mallory.ok());
  EXPECT_TRUE(Cluster::wait_until([&] {
    const auto log = cluster.agent_log("a");
    return log.find("event=auth_refused") != std::string::npos && log.find(*mallory) != std::string::npos;
  })) << cluster.agent_log("a");
}

}  // namespace
}  // namespace rpclb::testing
