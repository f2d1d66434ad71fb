// rpclb::Client: one load balancer seen from a C++ service, as the model's
// RpcLoadBalancer.LoadBalancer is seen from Elixir: a group on the bus, a
// selection algorithm with options, and an optional node filter.
//
//   auto client = rpclb::Client::create({.group = "workers", .algorithm = "round_robin"});
//   if (!client) return fail(client.error());
//   auto reply = client->call("math.add", rpclb::args(2, 3));
//
// Calls need not wait for each other: call_async and cast_async keep many in
// flight over one connection per member (replies matched by id, each call
// with its own deadline, the same selection, retries and errors as call()):
//
//   std::vector<std::future<rpclb::Result<rpclb::Reply>>> replies;
//   for (int i = 0; i < 100; ++i) replies.push_back(client->call_async("math.add", rpclb::args(i, 1)));
//   for (auto& reply : replies) use(reply.get());
//
// A Client is safe to share between threads. Calls and casts, waited for or
// not, run in parallel; members(), select_n() and release() run one at a
// time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpclb/algorithm.hpp"
#include "rpclb/client_defaults.hpp"
#include "rpclb/error.hpp"
#include "rpclb/member.hpp"
#include "rpclb/payload.hpp"

namespace rpclb {

// create() refuses a number outside the range the rpclb command allows for
// the same setting (`rpclb --help` shows each), with bad_request naming it:
// timeout up to 24 h, bus_timeout 10 min, connect_timeout 1 min, retries 100,
// and failure_memory's as its flags (--eject-base, --retry-budget, ...).
struct ClientOptions {
  std::string group;
  // Bus hubs; empty: $RPCLB_BUS, else tcp://127.0.0.1:7400.
  std::vector<std::string> bus;
  // A built-in algorithm's name, or one that algorithm_plugins offer.
  std::string algorithm = kDefaultAlgorithm;
  std::map<std::string, std::string> algorithm_options;  // the CLI's --opt key=value
  // Shared objects offering more algorithms (rpclb/algorithm_plugin.hpp),
  // checked and loaded by create(): the rpclb command's --algorithm-plugin.
  std::vector<std::string> algorithm_plugins;
  // Or your own policy (rpclb/algorithm.hpp, docs/writing-an-algorithm.md),
  // when `algorithm` then only names it in errors: a factory, which create()
  // calls with algorithm_options, or an object built already. The Client
  // asks it for one choice at a time; an object shared by several Clients
  // must be safe to call from their threads at once.
  AlgorithmFactory algorithm_factory;
  std::shared_ptr<SelectionAlgorithm> algorithm_object;
  // Members to consider: exact names or /regex/ (whole-name match); empty: all.
  std::vector<std::string> match;
  std::chrono::milliseconds timeout{5000};      // per operation, unless CallOptions says otherwise
  std::chrono::milliseconds bus_timeout{1000};  // for a membership snapshot
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;  // to a member; bounded by the timeout
  // Further members to try when one could not take a call (never ran there).
  std::uint32_t retries = 2;
  bool retry_on_timeout = false;  // only for idempotent functions
  // When no member matches, wait this long for one to join.
  std::chrono::milliseconds wait_for_member{0};
  FailureMemory failure_memory;
  // How long a discovered member list is reused before the bus is asked again.
  std::chrono::milliseconds membership_refresh{1000};
  // false: the algorithm's state (round-robin position, connection counts)
  // lives in this Client. true: in the state file the rpclb CLI uses for the
  // same group and bus, so this service and shell scripts balance together.
  bool shared_state = false;
  // CURVE: this client's keypair file and the cluster's public key file
  // (`rpclb keygen`); both or neither.
  std::string curve_secret_file;
  std::string curve_server_key_file;
};

// Per-operation overrides.
struct CallOptions {
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::string> key;  // for key-routed algorithms (hash_ring)
};

struct Reply {
  Member node;    // who ran it
  Payload value;  // the function's result (nil for a cast)
};

class Client {
 public:
  // Checks the algorithm, its options, the match patterns and the key files;
  // bad_request says which is wrong. Contacts nobody yet.
  static Result<Client> create(ClientOptions options);

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  // Members of the group that pass the filter, by name; service_unavailable
  // if there are none.
  Result<std::vector<Member>> members();
  // One member chosen by the algorithm. Stateful algorithms count it as in
  // use until release().
  Result<Member> select(const CallOptions& options = {});
  // Up to `count` distinct members (hash_ring: the key's replicas in ring order).
  Result<std::vector<Member>> select_n(std::size_t count, const CallOptions& options = {});
  Status release(std::string_view node);
  // Runs `function` (MODULE.FUNCTION) on a chosen member and waits for its
  // result. Members that could not take the call are skipped (retries).
  Result<Reply> call(std::string_view function, const Payload& arguments = args(), const CallOptions& options = {});
  // Hands `function` to a chosen member and returns once it has accepted it.
  Result<Member> cast(std::string_view function, const Payload& arguments = args(), const CallOptions& options = {});

  // The same, without waiting: many calls in flight at once. The future is
  // ready when call() would have returned, with the same Result.
  std::future<Result<Reply>> call_async(std::string_view function, const Payload& arguments = args(),
                                        const CallOptions& options = {});
  std::future<Result<Member>> cast_async(std::string_view function, const Payload& arguments = args(),
                                         const CallOptions& options = {});
  // Or with a completion, which costs no thread a wake-up: `done` runs
  // exactly once, on the Client's I/O thread (or before call_async returns,
  // if the arguments are refused). It must be quick and must not block (an
  // exception it throws is ignored); it may call call_async again, but not
  // destroy the Client. Every call is answered, by its
  // deadline at the latest: a Client being destroyed first waits for them.
  void call_async(std::string_view function, const Payload& arguments, const CallOptions& options,
                  std::function<void(Result<Reply>)> done);
  void cast_async(std::string_view function, const Payload& arguments, const CallOptions& options,
                  std::function<void(Result<Member>)> done);

 private:
  struct State;
  explicit Client(std::unique_ptr<State> state);
  static Result<Client> create_checked(ClientOptions options);
  std::unique_ptr<State> state_;
};

}  // namespace rpclb
