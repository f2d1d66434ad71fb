// libFuzzer target: what an agent and a client do with a frame from the
// network, past the decoder. The frame is read as a call to a built-in or an
// allowlisted program (arguments checked, the built-in run), as a snapshot
// merged by a client, and its argument array as JSON and as a Payload.
//   - run_call never throws and answers the request's id;
//   - every reply fits in one frame (encode_reply);
//   - a merged snapshot holds only members that pass member_rules;
//   - msgpack_to_json and Payload::from_msgpack / as<T> fail cleanly or succeed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "agent/builtins.hpp"
#include "agent/function_table.hpp"
#include "common/bus_client.hpp"
#include "common/json_msgpack.hpp"
#include "common/member_rules.hpp"
#include "common/protocol.hpp"
#include "rpclb/payload_msgpack.hpp"

namespace {

const rpclb::agent::FunctionTable& functions() {
  static const auto table = [] {
    rpclb::agent::FunctionTable built;
    auto facts = std::make_shared<rpclb::agent::AgentFacts>();
    facts->name = "fuzz";
    rpclb::agent::add_builtins(built, facts, [] { return std::vector<rpclb::MetricFamily>{}; });
    // A program whose arguments are checked but which is never started here.
    rpclb::agent::add_programs(built, {{"prog.run", "/nonexistent/fuzz", {"-x"}, 10, 1024}});
    return built;
  }();
  return table;
}

void exercise_payload(const std::string& msgpack) {
  (void)rpclb::msgpack_to_json(msgpack);
  auto payload = rpclb::Payload::from_msgpack(msgpack);
  if (!payload) return;
  (void)payload->json();
  (void)payload->as<std::vector<std::int64_t>>();
  (void)payload->as<std::vector<std::string>>();
  (void)payload->as<std::tuple<int, std::string>>();
  (void)payload->as<std::map<std::string, double>>();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto message = rpclb::protocol::decode(frame);
  if (!message) return 0;
  if (const auto* decoded = std::get_if<rpclb::protocol::CallRequest>(&*message)) {
    // As the agent reads it: in place, and the same as decode() reads it.
    const auto request = rpclb::protocol::read_call(frame);
    if (!request || !(request->owned() == *decoded)) std::abort();
    exercise_payload(decoded->args_msgpack);
    const auto* function = functions().find(request->function);
    if (!function) return 0;
    const auto checked = rpclb::agent::check_arguments(*function, *request);
    if (!checked && checked.error().code != rpclb::ErrorCode::bad_request) std::abort();
    if (request->function == "prog.run") return 0;  // never spawn from the fuzzer
    // sys.sleep gets a deadline already past, so it answers at once instead of sleeping.
    const auto now = std::chrono::steady_clock::now();
    const auto deadline = request->function == "sys.sleep" ? now : now + std::chrono::seconds(10);
    const auto reply = rpclb::agent::run_call(functions(), *request, deadline, {});
    if (reply.id != request->id) std::abort();
    // sys.echo returns any argument array as it came.
    if (request->function == "sys.echo" && reply.kind != rpclb::protocol::CallReply::Kind::result) std::abort();
    if (rpclb::protocol::encode_reply(reply).size() > rpclb::protocol::kMaxFrameBytes) std::abort();
  } else if (auto* snapshot = std::get_if<rpclb::protocol::Snapshot>(&*message)) {
    rpclb::MergedMembers merged;
    rpclb::merge_snapshot(merged, *snapshot);
    rpclb::merge_snapshot(merged, std::move(*snapshot));
    for (const auto& [name, member] : merged) {
      if (name != member.name || !rpclb::validate_member(member)) std::abort();
    }
  } else if (auto* reply = std::get_if<rpclb::protocol::CallReply>(&*message)) {
    if (reply->kind == rpclb::protocol::CallReply::Kind::result) exercise_payload(reply->value_msgpack);
  }
  return 0;
}
