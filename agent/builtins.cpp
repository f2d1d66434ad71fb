#include "agent/builtins.hpp"

#include "common/msgpack_string.hpp"

#include <condition_variable>
#include <mutex>

namespace rpclb::agent {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

// The argument array as it arrived, byte for byte (read_call checked it is
// one MessagePack value): packing the unpacked object again cost as much as
// the rest of the call.
Result<std::string> echo(const msgpack::object&, const CallContext& context) {
  return std::string(context.args_msgpack);
}

Status check_sleep(const msgpack::object& args) {
  if (args.via.array.size != 1 || args.via.array.ptr[0].type != msgpack::type::POSITIVE_INTEGER ||
      args.via.array.ptr[0].via.u64 > kMaxSleepMs) {
    return make_error(ErrorCode::bad_request,
                      "sys.sleep takes one argument: milliseconds from 0 to " + std::to_string(kMaxSleepMs));
  }
  return {};
}

// Sleeps for args[0] milliseconds, but no longer than the caller will wait
// (nobody would read the answer) and not past an agent stop.
Result<std::string> sleep(const msgpack::object& args, const CallContext& context) {
  if (auto checked = check_sleep(args); !checked) return checked.error();
  const auto ms = args.via.array.ptr[0].via.u64;
  const auto wake_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  const auto until = std::min(wake_at, context.deadline);
  std::mutex mutex;
  std::condition_variable_any wakeup;
  std::unique_lock lock(mutex);
  wakeup.wait_until(lock, context.stop, until, [] { return false; });
  if (context.stop.stop_requested()) {
    return make_error(ErrorCode::internal, "interrupted: the agent shut down");
  }
  if (until < wake_at) return make_error(ErrorCode::request_timeout, "sys.sleep outlived the caller's deadline");
  msgpack::sbuffer buffer;
  Packer out(buffer);
  out.pack_uint64(ms);
  return std::string(buffer.data(), buffer.size());
}

}  // namespace

void add_builtins(FunctionTable& table, std::shared_ptr<const AgentFacts> facts, StatsSource stats) {
  table.add(
      "sys.stats",
      [stats = std::move(stats)](const msgpack::object&, const CallContext&) -> Result<std::string> {
        return pack_families(stats());
      },
      Execution::on_event_loop);
  table.add("sys.echo", echo, Execution::on_event_loop);
  // What this agent serves, for shell completion and for people: its
  // built-ins and allowlist, by name.
  table.add(
      "sys.functions",
      [](const msgpack::object&, const CallContext& context) -> Result<std::string> {
        const auto names = context.functions ? context.functions->names() : std::vector<std::string>{};
        msgpack::sbuffer buffer;
        Packer out(buffer);
        out.pack_array(static_cast<std::uint32_t>(names.size()));
        for (const auto& name : names) pack_string(out, name);
        return std::string(buffer.data(), buffer.size());
      },
      Execution::on_event_loop);
  table.add("sys.sleep", sleep, Execution::on_worker_pool, check_sleep);
  table.add(
      "sys.info",
      [facts](const msgpack::object&, const CallContext&) -> Result<std::string> {
        msgpack::sbuffer buffer;
        Packer out(buffer);
        out.pack_map(7);
        pack_string(out, "name");
        pack_string(out, facts->name);
        pack_string(out, "host");
        pack_string(out, facts->host);
        pack_string(out, "pid");
        out.pack_int64(facts->pid);
        pack_string(out, "groups");
        out.pack_array(static_cast<std::uint32_t>(facts->groups.size()));
        for (const auto& group : facts->groups) pack_string(out, group);
        pack_string(out, "uptime_ms");
        out.pack_int64(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - facts->started)
                .count());
        pack_string(out, "in_flight");
        out.pack_uint32(facts->in_flight.load());
        pack_string(out, "version");
        pack_string(out, facts->version);
        return std::string(buffer.data(), buffer.size());
      },
      Execution::on_event_loop);
}

}  // namespace rpclb::agent
