#include "common/protocol.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <random>

#include "common/json_msgpack.hpp"

namespace rpclb::protocol {
namespace {

Member sample_member() {
  return Member{"node-1", "abc123", "tcp://127.0.0.1:5000", {"web", "db"}, 3, 7, 250, "0.3.0", 420, 1250};
}

std::vector<Message> every_kind() {
  CallRequest call{
      42, CallMode::call, "sys.echo", json_to_msgpack({1, "two", {{"three", 3}}}), 1500, "node-1", "abc123", {}, {}};
  // Unaddressed, as clients from before the member fields send it.
  CallRequest cast{43, CallMode::cast, "sys.echo", json_to_msgpack({1}), 1500, {}, {}, {}, {}};
  return {
      Announce{sample_member()},
      Leave{"node-1", "abc123"},
      Expired{"node-1", "abc123"},
      SnapshotRequest{"web"},
      Snapshot{{sample_member(), Member{"node-2", "x", "ipc:///tmp/a", {}, 1, 0, 1000, ""}}},
      call,
      cast,
      CallReply::result(42, json_to_msgpack({{"ok", true}})),
      CallReply::accepted(7),
      CallReply::failure(9, Error{ErrorCode::not_found, "no such function"}),
  };
}

TEST(Protocol, EveryMessageRoundTrips) {
  for (const auto& message : every_kind()) {
    auto decoded = decode(encode(message));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, message);
  }
}

TEST(Protocol, EveryStrictPrefixIsRejected) {
  for (const auto& message : every_kind()) {
    const auto frame = encode(message);
    for (std::size_t length = 0; length < frame.size(); ++length) {
      auto decoded = decode(std::string_view(frame).substr(0, length));
      ASSERT_FALSE(decoded.ok()) << "prefix of " << length << " bytes decoded";
      EXPECT_EQ(decoded.error().code, ErrorCode::bad_request);
    }
  }
}

TEST(Protocol, TrailingBytesAreRejected) {
  auto frame = encode(Leave{"a", "b"}) + '\x01';
  auto decoded = decode(frame);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("trailing"), std::string::npos);
}

TEST(Protocol, OversizedFrameIsRejectedBeforeParsing) {
  const std::string frame(kMaxFrameBytes + 1, '\x90');
  auto decoded = decode(frame);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::bad_request);
  EXPECT_NE(decoded.error().message.find("exceeds"), std::string::npos);
}

std::string frame_of(const nlohmann::json& envelope) {
  return json_to_msgpack(envelope);
}

TEST(Protocol, WrongVersionIsRejectedWithAClearMessage) {
  auto decoded = decode(frame_of({2, "leave", "a", "b"}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("unsupported protocol version 2"), std::string::npos);
}

// Agents of 0.1 refuse a call with the member fields as malformed: callers
// name the member only to agents that read them.
TEST(Protocol, CallsNameTheirMemberOnlyWhereItsVersionReadsThem) {
  for (const auto* version : {"0.2.0", "0.2", "0.10.1", "1.0.0", "3.1-rc1"}) {
    CallRequest request;
    address_to(request, Member{"m", "i", "tcp://h:1", {"g"}, 1, 0, 100, version});
    EXPECT_EQ(request.member, "m") << version;
    EXPECT_EQ(request.instance, "i") << version;
  }
  for (const auto* version : {"0.1.0", "0.1", "", "x", "1", "0.x"}) {
    CallRequest request;
    address_to(request, Member{"m", "i", "tcp://h:1", {"g"}, 1, 0, 100, version});
    EXPECT_EQ(request.member, "") << version;
  }
}

// A retry may move from a member of 0.2 to one of 0.1: the second must not
// be sent the first one's name. Request ids go only to 0.3 and later.
TEST(Protocol, AddressingFollowsEachMembersVersion) {
  CallRequest request;
  request.request_id = "job-7";
  EXPECT_TRUE(address_to(request, Member{"new", "i", "tcp://h:1", {"g"}, 1, 0, 100, "0.3.0"}));
  EXPECT_EQ(request.request_id, "job-7");
  EXPECT_EQ(request.member, "new");
  EXPECT_FALSE(address_to(request, Member{"mid", "j", "tcp://h:2", {"g"}, 1, 0, 100, "0.2.0"}));
  EXPECT_EQ(request.request_id, "");
  EXPECT_EQ(request.member, "mid");
  EXPECT_TRUE(address_to(request, Member{"old", "k", "tcp://h:3", {"g"}, 1, 0, 100, "0.1.0"}));
  EXPECT_EQ(request.member, "");
  EXPECT_EQ(request.instance, "");
}

TEST(Protocol, TracedCallsCarryTheirRequestId) {
  const auto no_args = json_to_msgpack(nlohmann::json::array());
  const CallRequest addressed{9, CallMode::call, "sys.echo", no_args, 100, "node-1", "abc", "job-7:try.1", {}};
  auto decoded = decode_as<CallRequest>(encode(addressed));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, addressed);
  // Traced, to whoever answers: the member fields are empty.
  const CallRequest to_anyone{9, CallMode::cast, "sys.echo", no_args, 100, "", "", "x", {}};
  auto anyone = decode_as<CallRequest>(encode(to_anyone));
  ASSERT_TRUE(anyone.ok()) << anyone.error().message;
  EXPECT_EQ(*anyone, to_anyone);
  for (const auto* bad : {"", "has space", "new\nline", "ü", "x{}"}) {
    auto refused = decode(frame_of({1, "call", 1, "sys.echo", nlohmann::json::array(), 10, "n", "i", bad}));
    EXPECT_FALSE(refused.ok()) << bad;
  }
  auto too_long = decode(frame_of(
      {1, "call", 1, "sys.echo", nlohmann::json::array(), 10, "n", "i", std::string(kMaxRequestIdBytes + 1, 'a')}));
  EXPECT_FALSE(too_long.ok());
  auto no_instance_no_member = decode(frame_of({1, "call", 1, "sys.echo", nlohmann::json::array(), 10, "", "i", "x"}));
  EXPECT_FALSE(no_instance_no_member.ok());
}

// From 0.5.0 a call may carry its program's standard input: eight fields,
// the input a bin (any bytes), request_id then possibly empty.
TEST(Protocol, ACallCarriesStandardInputAsItsEighthField) {
  const auto no_args = json_to_msgpack(nlohmann::json::array());
  CallRequest with_input{9, CallMode::call, "sh.cat", no_args, 100, "node-1", "abc", "", std::string("a\0\xff", 3)};
  auto decoded = decode_as<CallRequest>(encode(with_input));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, with_input);
  with_input.input = "";
  EXPECT_EQ(*decode_as<CallRequest>(encode(with_input)), with_input);
  // A str is not input, and more than kMaxInputBytes is refused.
  EXPECT_FALSE(decode(frame_of({1, "call", 1, "sh.cat", nlohmann::json::array(), 10, "n", "i", "", "text"})).ok());
  with_input.input = std::string(kMaxInputBytes + 1, 'x');
  EXPECT_FALSE(decode(encode(with_input)).ok());
}

// Only members of 0.5.0 and later read it; one before would refuse the
// call, so nothing is sent to it and the caller hears why.
TEST(Protocol, InputIsSentOnlyToMembersThatReadIt) {
  CallRequest request;
  request.function = "sh.cat";
  Member old_member;
  old_member.name = "old";
  old_member.version = "0.4.0";
  Member new_member = old_member;
  new_member.version = "0.5.0";
  EXPECT_TRUE(can_carry(request, old_member).ok());
  request.input = "hi";
  EXPECT_TRUE(can_carry(request, new_member).ok());
  const auto refused = can_carry(request, old_member);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::service_unavailable);
  EXPECT_EQ(refused.error().message,
            "node old runs rpclb 0.4.0, which cannot pass standard input to a program (0.5.0 and later can); "
            "nothing was sent");
}

// Members of 0.2 announce 8 fields; later ones may announce more than this
// build knows, which it ignores.
TEST(Protocol, MemberFieldsMayGrow) {
  auto older = decode_as<Announce>(frame_of({1, "announce", {"n", "i", "e", {"g"}, 1, 0, 100, "0.2.0"}}));
  ASSERT_TRUE(older.ok()) << older.error().message;
  EXPECT_EQ(older->member.cpu, kUnknownFigure);
  EXPECT_EQ(older->member.load_average, kUnknownFigure);
  auto later = decode_as<Announce>(
      frame_of({1, "announce", {"n", "i", "e", {"g"}, 1, 0, 100, "0.9.0", 250, 1500, "future", {1, 2}}}));
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(later->member.cpu, 250u);
  EXPECT_EQ(later->member.load_average, 1500u);
  auto short_one = decode(frame_of({1, "announce", {"n", "i", "e", {"g"}, 1, 0, 100}}));
  EXPECT_FALSE(short_one.ok());
  auto bad_cpu = decode(frame_of({1, "announce", {"n", "i", "e", {"g"}, 1, 0, 100, "v", "busy", 1}}));
  EXPECT_FALSE(bad_cpu.ok());
}

TEST(Protocol, WrongShapesAreRejected) {
  const std::vector<nlohmann::json> bad{
      nlohmann::json::object(),                              // not an array
      {1},                                                   // no kind
      {1, 5},                                                // kind not a string
      {1, "nonsense"},                                       // unknown kind
      {1, "leave", "a"},                                     // too few fields
      {1, "leave", "a", "b", "c"},                           // too many fields
      {1, "call", -1, "sys.echo", {}, 10},                   // negative id
      {1, "call", 1, "sys", {}, 10},                         // function without module
      {1, "call", 1, "sys.echo", "not-array", 10},           // args not an array
      {1, "call", 1, "sys.echo", {}, 5000000000},            // timeout beyond uint32
      {1, "call", 1, "sys.echo", {}, 10, "", "i"},           // addressed to no one
      {1, "call", 1, "sys.echo", {}, 10, "n"},               // member without instance
      {1, "cast", 1, "sys.echo", {}, 10, "n", 7},            // instance not a string
      {1, "error", 1, "teapot", "?"},                        // unknown error code
      {1, "snapshot?", nullptr},                             // group not a string
      {1, "announce", {"", "i", "e", {}, 1, 0, 100, "v"}},   // empty name
      {1, "announce", {"n", "i", "e", {}, 1, 0, 0, "v"}},    // zero heartbeat
      {1, "announce", {"n", "i", "e", {7}, 1, 0, 10, "v"}},  // group not a string
  };
  for (const auto& envelope : bad) {
    auto decoded = decode(frame_of(envelope));
    EXPECT_FALSE(decoded.ok()) << envelope.dump();
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.error().code, ErrorCode::bad_request);
    }
  }
}

TEST(Protocol, DeepNestingIsRejected) {
  nlohmann::json args = nlohmann::json::array();
  for (int i = 0; i < 100; ++i) args = nlohmann::json::array({args});
  auto decoded = decode(frame_of({1, "call", 1, "sys.echo", args, 10}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::bad_request);
}

// Damaged frames (a byte changed, cut short, or one added) are either
// rejected as bad_request or decode to a message that survives a round trip;
// a frame with a byte added is always rejected.
TEST(Protocol, DamagedFramesAreRejectedOrRoundTrip) {
  const std::vector<std::string> valid{
      encode(CallRequest{42, CallMode::call, "sys.echo", "", 1000, "node-1", "abc123", "trace-1", {}}),
      encode(Announce{Member{"n", "i", "tcp://127.0.0.1:1", {"g"}, 1, 0, 100, "v"}}),
      encode(CallReply::failure(7, {ErrorCode::not_found, "no"})),
  };
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> byte(0, 255);
  int rejected = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string frame = valid[static_cast<std::size_t>(round) % valid.size()];
    std::uniform_int_distribution<std::size_t> at(0, frame.size() - 1);
    switch (round % 3) {
      case 0:
        frame[at(rng)] = static_cast<char>(byte(rng));
        break;
      case 1:
        frame.resize(at(rng));
        break;
      case 2:
        frame.push_back(static_cast<char>(byte(rng)));
        break;
    }
    auto decoded = decode(frame);
    if (!decoded) {
      ASSERT_EQ(decoded.error().code, ErrorCode::bad_request);
      ++rejected;
      continue;
    }
    ASSERT_NE(round % 3, 2) << "a frame with a trailing byte was accepted";
    auto again = decode(encode(*decoded));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *decoded);
  }
  EXPECT_GT(rejected, 13000);  // every cut and every addition at least
}

TEST(Protocol, DecodeAsInsistsOnTheKind) {
  auto wrong = decode_as<CallRequest>(encode(Leave{"a", "b"}));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::bad_request);
  auto right = decode_as<Leave>(encode(Leave{"a", "b"}));
  ASSERT_TRUE(right.ok());
  EXPECT_EQ(right->name, "a");
}

TEST(Protocol, FunctionNames) {
  EXPECT_TRUE(is_valid_function_name("sys.echo"));
  EXPECT_TRUE(is_valid_function_name("disk_usage.get-all"));
  EXPECT_FALSE(is_valid_function_name("sys"));
  EXPECT_FALSE(is_valid_function_name(".echo"));
  EXPECT_FALSE(is_valid_function_name("sys."));
  EXPECT_FALSE(is_valid_function_name("a.b.c"));
  EXPECT_FALSE(is_valid_function_name("sys.echo;rm"));
}

TEST(Protocol, ErrorCodesMapToDistinctDocumentedExitCodes) {
  EXPECT_EQ(exit_code_for(ErrorCode::internal), 1);
  EXPECT_EQ(exit_code_for(ErrorCode::bad_request), 2);
  EXPECT_EQ(exit_code_for(ErrorCode::not_found), 3);
  EXPECT_EQ(exit_code_for(ErrorCode::service_unavailable), 4);
  EXPECT_EQ(exit_code_for(ErrorCode::request_timeout), 5);
  for (auto code : {ErrorCode::internal, ErrorCode::bad_request, ErrorCode::not_found, ErrorCode::service_unavailable,
                    ErrorCode::request_timeout}) {
    EXPECT_EQ(error_code_from_string(to_string(code)), code);
  }
}

// A result too large for one frame becomes an error naming its size and the
// limit, so the caller hears at once instead of waiting out its timeout.
TEST(Protocol, OversizeRepliesBecomeNamedErrors) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  const std::string big(kMaxFrameBytes, 'x');
  out.pack_str(static_cast<std::uint32_t>(big.size()));
  out.pack_str_body(big.data(), static_cast<std::uint32_t>(big.size()));
  const auto frame = encode_reply(CallReply::result(9, std::string(buffer.data(), buffer.size())));
  EXPECT_LE(frame.size(), kMaxFrameBytes);
  auto reply = decode_as<CallReply>(frame);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->id, 9u);
  EXPECT_EQ(reply->kind, CallReply::Kind::error);
  EXPECT_EQ(reply->error.code, ErrorCode::internal);
  EXPECT_NE(reply->error.message.find("over the frame limit of " + std::to_string(kMaxFrameBytes)), std::string::npos);
  const auto small = encode_reply(CallReply::result(9, "\x01"));
  EXPECT_EQ(decode_as<CallReply>(small)->kind, CallReply::Kind::result);
}

}  // namespace
}  // namespace rpclb::protocol

namespace rpclb::protocol {
namespace {

// An agent reads a request where it lies: every field a view into the frame.
TEST(Protocol, ACallIsReadInPlace) {
  CallRequest call{7, CallMode::cast, "sys.echo", json_to_msgpack({"a", 2}), 900, "node-1", "abc", "trace-7", "in"};
  const auto frame = encode(call);
  const auto read = read_call(frame);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->owned(), call);
  const auto inside = [&](std::string_view field) {
    return field.data() >= frame.data() && field.data() + field.size() <= frame.data() + frame.size();
  };
  EXPECT_TRUE(inside(read->function) && inside(read->args_msgpack) && inside(read->member) &&
              inside(read->request_id) && inside(*read->input));
  EXPECT_EQ(CallView::of(call).owned(), call);
  const auto reply = read_call(encode(CallReply::accepted(7)));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::bad_request);
}

// The client reads each reply in one pass, as decode() reads one.
TEST(Protocol, AReplyIsReadAsDecodeReadsIt) {
  const CallReply replies[] = {CallReply::result(3, json_to_msgpack({{"a", 1}})), CallReply::accepted(4),
                               CallReply::failure(5, {ErrorCode::not_found, "no such function"})};
  for (const auto& reply : replies) {
    const auto frame = encode(reply);
    const auto read = read_reply(frame);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(*read, reply);
    EXPECT_EQ(Message(*read), decode(frame).value());
    // Cut anywhere, it is refused, as decode() refuses it.
    for (std::size_t size = 0; size < frame.size(); ++size) {
      const auto cut = read_reply(std::string_view(frame).substr(0, size));
      ASSERT_FALSE(cut.ok()) << size;
      EXPECT_EQ(cut.error().code, ErrorCode::bad_request);
      EXPECT_FALSE(decode(std::string_view(frame).substr(0, size)).ok());
    }
  }
  const auto call = read_reply(encode(CallRequest{7, CallMode::call, "sys.echo", "\x90", 900, "", "", "", {}}));
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().message, "unexpected message kind");
}

// Every length form MessagePack has (fix, 8, 16 and 32 bits) is read.
TEST(Protocol, LongFieldsRoundTrip) {
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 70000; ++i) many.push_back(i);  // array 32, numbers of every width
  for (const std::size_t size : {3, 40, 300, 70000}) {
    CallRequest call{std::uint64_t{1} << (size % 64),
                     CallMode::call,
                     "sys.echo",
                     json_to_msgpack(many),
                     4000000000U,
                     std::string(size, 'm'),
                     "i",
                     std::string(std::min<std::size_t>(size, kMaxRequestIdBytes), 'r'),
                     std::string(size, '\0')};
    auto decoded = decode_as<CallRequest>(encode(call));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, call);
    const auto result = CallReply::result(9, json_to_msgpack({{"text", std::string(size, 'x')}}));
    EXPECT_EQ(decode(encode(result)).value(), Message(result));
  }
}

// Other encoders may write a number that is not negative in a signed form.
TEST(Protocol, SignedFormsOfUnsignedFieldsAreRead) {
  const auto frame = [](std::int64_t id) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> out(buffer);
    out.pack_array(6);
    out.pack_fix_int8(1);
    out.pack(std::string("call"));
    out.pack_fix_int64(id);
    out.pack(std::string("sys.echo"));
    out.pack_array(0);
    out.pack_fix_int16(10);
    return std::string(buffer.data(), buffer.size());
  };
  const auto read = read_call(frame(5));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->id, 5U);
  EXPECT_EQ(read->timeout_ms, 10U);
  EXPECT_FALSE(read_call(frame(-5)).ok());
}

}  // namespace
}  // namespace rpclb::protocol
