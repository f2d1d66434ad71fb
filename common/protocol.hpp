// The rpclb wire protocol: every message that crosses a socket, and its
// versioned MessagePack envelope.
//
// Each ZeroMQ frame carrying rpclb data is one MessagePack array:
//
//   [ version:uint, kind:str, field... ]
//
// kind        fields (in order)                                   sent by -> to
// "announce"  [name, instance, endpoint, groups[str], weight,    agent -> bus hub (PUB/SUB)
//             load, heartbeat_ms, version, cpu, load_average]
// "leave"     name, instance                                      agent -> bus hub (PUB/SUB)
// "expired"   name, instance (then a "leave" of the same member)  bus hub -> updates (from 0.4.0)
// "snapshot?" group (""=all)                                      client -> hub (DEALER/ROUTER)
// "snapshot"  members[ [announce fields...] ]                     hub -> client
// "call"      id, function, args(array), timeout_ms,              client -> agent (DEALER/ROUTER)
//             [member, instance, [request_id]]
// "cast"      id, function, args(array), timeout_ms,              client -> agent
//             [member, instance, [request_id]]
// "result"    id, value(any)                                      agent -> client
// "accepted"  id                                                  agent -> client (reply to cast)
// "error"     id, code(str), message(str)                         agent -> client
//
// A call or cast names the member it is meant for (name and instance, as
// announced): an agent that is someone else refuses it with
// service_unavailable and runs nothing, so a stale endpoint, or one that
// means another host's loopback, never runs a call in the wrong place. The
// two fields may be left off (4 fields): no check, as before they existed.
// A seventh, request_id, is the caller's name for the call (the same on every
// attempt of it), which the agent logs; it asks for a traced call.
//
// A member's fields grew two at 0.3.0 (cpu, load_average): a reader takes
// 8 or more and ignores those it does not know, so later versions can add
// more. docs/protocol.md is the normative specification.
//
// Decoding never trusts its input: anything that is not exactly one of these
// shapes (wrong version, wrong arity, wrong types, trailing bytes, too large,
// too deep) is rejected with ErrorCode::bad_request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpclb/error.hpp"
#include "rpclb/member.hpp"

namespace rpclb::protocol {

inline constexpr std::uint32_t kVersion = 1;
// Largest frame any rpclb socket accepts (also set as ZMQ_MAXMSGSIZE, which
// cuts the connection of a peer that sends more). rpclb never sends one:
// a request over it is refused with bad_request before it is sent, and a
// result over it is replaced by an error naming its size (encode_reply).
inline constexpr std::size_t kMaxFrameBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxNestingDepth = 32;
// Most items in one array or map: bounds the memory decoding a frame takes
// (each item is a 24-byte object however small its encoding).
inline constexpr std::size_t kMaxContainerItems = 1024 * 1024;

using rpclb::kUnknownFigure;
// Longest request_id; it is logged, so it is kept to [A-Za-z0-9._:-].
inline constexpr std::size_t kMaxRequestIdBytes = 64;
// The most standard input a call may carry for its program (`rpclb call
// --stdin`): half a frame, so the request with its arguments still fits.
inline constexpr std::size_t kMaxInputBytes = 4 * 1024 * 1024;

// A member record on the wire is the public rpclb::Member (rpclb/member.hpp):
// what the bus carries is what clients and selection algorithms see.

struct Announce {
  Member member;
  friend bool operator==(const Announce&, const Announce&) = default;
};

struct Leave {
  std::string name;
  std::string instance;
  friend bool operator==(const Leave&, const Leave&) = default;
};

// A hub dropped a member whose heartbeats stopped, as opposed to one that
// said it left. Published just before the member's "leave", which readers
// that do not know this kind act on instead.
struct Expired {
  std::string name;
  std::string instance;
  friend bool operator==(const Expired&, const Expired&) = default;
};

struct SnapshotRequest {
  std::string group;  // empty: every member
  friend bool operator==(const SnapshotRequest&, const SnapshotRequest&) = default;
};

struct Snapshot {
  std::vector<Member> members;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

enum class CallMode { call, cast };

struct CallRequest {
  std::uint64_t id = 0;
  CallMode mode = CallMode::call;
  std::string function;      // "module.function"
  std::string args_msgpack;  // one MessagePack array, verbatim
  std::uint32_t timeout_ms = 0;
  // The member it is meant for; empty: whoever answers at the endpoint.
  std::string member;
  std::string instance;  // empty: any instance of `member`
  // The caller's name for this call, logged by the agent; empty: untraced.
  std::string request_id;
  // From 0.5.0: bytes for the program's standard input (a function whose
  // allowlist entry says `stdin = true`); nullopt: none (/dev/null).
  std::optional<std::string> input;
  friend bool operator==(const CallRequest&, const CallRequest&) = default;
};

// A call or cast as it arrived: views into its frame, which must outlive it.
// An agent reads each request this way (read_call), in one pass over the
// MessagePack, copying nothing.
struct CallView {
  std::uint64_t id = 0;
  CallMode mode = CallMode::call;
  std::string_view function;
  std::string_view args_msgpack;  // one MessagePack array, verbatim
  std::uint32_t timeout_ms = 0;
  std::string_view member;
  std::string_view instance;
  std::string_view request_id;
  std::optional<std::string_view> input;

  // The request, owning its bytes (for a worker thread).
  CallRequest owned() const;
  // A view of `request`, which must outlive it.
  static CallView of(const CallRequest& request);
};

struct CallReply {
  enum class Kind { result, accepted, error };
  std::uint64_t id = 0;
  Kind kind = Kind::result;
  std::string value_msgpack;             // Kind::result: one MessagePack value, verbatim
  Error error{ErrorCode::internal, {}};  // Kind::error
  friend bool operator==(const CallReply&, const CallReply&) = default;

  static CallReply result(std::uint64_t id, std::string value_msgpack);
  static CallReply accepted(std::uint64_t id);
  static CallReply failure(std::uint64_t id, Error error);
};

using Message = std::variant<Announce, Leave, Expired, SnapshotRequest, Snapshot, CallRequest, CallReply>;

std::string encode(const Message& message);
std::string encode(const CallRequest& request);
// As encode(request), into `frame`, replacing what it held: a buffer kept
// for the next request allocates nothing once it is large enough.
void encode_into(std::string& frame, const CallRequest& request);
std::string encode(const CallReply& reply);
// A reply as it goes on the wire; one that would not fit in a frame becomes
// an `internal` error naming its size and the limit, so the caller hears at
// once instead of waiting out its timeout.
std::string encode_reply(const CallReply& reply);
Result<Message> decode(std::string_view frame);
// A call or cast, checked exactly as decode() checks one; bad_request for a
// malformed frame or any other kind of message.
Result<CallView> read_call(std::string_view frame);
// A reply, checked exactly as decode() checks one, read in one pass;
// bad_request for a malformed frame or any other kind of message.
Result<CallReply> read_reply(std::string_view frame);

// Only what a call or cast must be answered with (its id and mode) and its
// function, read without copying its arguments: for refusing one that will
// not be run (an agent at capacity, or arguments it cannot read) at a
// fraction of a decode's cost.
// Missing or malformed: nullopt (decode() then says why).
std::optional<CallRequest> peek_call(std::string_view frame);

// Decodes and insists on one kind of message.
template <typename T>
Result<T> decode_as(std::string_view frame) {
  auto decoded = decode(frame);
  if (!decoded) return decoded.error();
  if (auto* typed = std::get_if<T>(&decoded.value())) return std::move(*typed);
  return make_error(ErrorCode::bad_request, "unexpected message kind");
}

// Names `member` (name and instance) in `request`, if its version decodes the
// two fields (0.2.0 and later): an agent of 0.1 refuses a call of six fields
// as malformed, so a rolling upgrade's new callers still reach old members.
// Likewise request_id is kept only for a member of 0.3.0 or later; false
// when it had to be dropped.
bool address_to(CallRequest& request, const Member& member);

// Whether `member` runs a version that reads request_id (0.3.0 and later).
bool reads_request_id(const Member& member);
// Whether `member` reads a call's standard input (0.5.0 and later): one
// before it would refuse the call, so none is sent to it.
bool reads_input(const Member& member);
// service_unavailable, nothing sent, when `request` carries standard input
// and `member` cannot read it.
Status can_carry(const CallRequest& request, const Member& member);

// 1 to kMaxRequestIdBytes of [A-Za-z0-9._:-].
bool is_valid_request_id(std::string_view id);

// "module.function": two non-empty identifiers of [A-Za-z0-9_-].
bool is_valid_function_name(std::string_view name);

}  // namespace rpclb::protocol
