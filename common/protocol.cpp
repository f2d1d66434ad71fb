#include "common/protocol.hpp"

#include <charconv>
#include <utility>

#include "common/msgpack_string.hpp"
#include "common/msgpack_walk.hpp"

#include <msgpack.hpp>

#include <exception>
#include <string>

namespace rpclb::protocol {
namespace {

// Packs straight into a frame's string: no buffer to copy it out of.
struct StringSink {
  std::string& out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};
using Packer = msgpack::packer<StringSink>;

// Thrown only inside this file and turned into bad_request by decode().
struct Malformed : std::exception {
  explicit Malformed(std::string why) : why(std::move(why)) {}
  std::string why;
};

void pack_member_fields(Packer& out, const Member& m) {
  pack_string(out, m.name);
  pack_string(out, m.instance);
  pack_string(out, m.endpoint);
  out.pack_array(static_cast<std::uint32_t>(m.groups.size()));
  for (const auto& group : m.groups) pack_string(out, group);
  out.pack_uint32(m.weight);
  out.pack_uint32(m.load);
  out.pack_uint32(m.heartbeat_ms);
  pack_string(out, m.version);
  out.pack_uint32(m.cpu);
  out.pack_uint32(m.load_average);
}
constexpr std::uint32_t kMemberFieldCount = 10;
// What a member of 0.2 sends; readers take this many or more.
constexpr std::uint32_t kFirstMemberFieldCount = 8;

void pack_header(Packer& out, std::string_view kind, std::uint32_t field_count) {
  out.pack_array(2 + field_count);
  out.pack_uint32(kVersion);
  pack_string(out, kind);
}

// Cursor over the fields of one array, checking each type as it is read.
class FieldReader {
 public:
  FieldReader(const msgpack::object& array, std::string_view what) : what_(what) {
    if (array.type != msgpack::type::ARRAY) throw Malformed(std::string(what) + " is not an array");
    items_ = array.via.array.ptr;
    size_ = array.via.array.size;
  }

  std::uint32_t remaining() const { return size_ - next_; }

  void expect_remaining(std::uint32_t count) const {
    if (size_ - next_ != count) {
      throw Malformed(std::string(what_) + " has " + std::to_string(size_ - next_) + " fields, expected " +
                      std::to_string(count));
    }
  }

  const msgpack::object& any() {
    if (next_ >= size_) throw Malformed(std::string(what_) + " is truncated");
    return items_[next_++];
  }

  std::string string(std::string_view field) {
    const auto& item = any();
    if (item.type != msgpack::type::STR) throw Malformed(std::string(field) + " must be a string");
    return std::string(item.via.str.ptr, item.via.str.size);
  }

  std::uint64_t uint(std::string_view field, std::uint64_t max = UINT64_MAX) {
    const auto& item = any();
    if (item.type != msgpack::type::POSITIVE_INTEGER || item.via.u64 > max) {
      throw Malformed(std::string(field) + " must be an unsigned integer <= " + std::to_string(max));
    }
    return item.via.u64;
  }

  std::uint32_t uint32(std::string_view field) { return static_cast<std::uint32_t>(uint(field, UINT32_MAX)); }

  void expect_at_least(std::uint32_t count) const {
    if (size_ - next_ < count) {
      throw Malformed(std::string(what_) + " has " + std::to_string(size_ - next_) + " fields, expected " +
                      std::to_string(count) + " or more");
    }
  }

  std::vector<std::string> strings(std::string_view field) {
    FieldReader list(any(), field);
    std::vector<std::string> out;
    out.reserve(list.size_);
    while (list.next_ < list.size_) out.push_back(list.string(field));
    return out;
  }

  std::uint32_t size() const { return size_; }

 private:
  std::string_view what_;
  const msgpack::object* items_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t next_ = 0;
};

// msgpack's buffers and zones start at 8 KiB: above malloc's per-thread
// caches, a slow path for every message (a fifth of a pipelined client's
// time). Ours start small and grow as a message needs.
constexpr std::size_t kFirstBufferBytes = 256;

Member read_member(const msgpack::object& object) {
  FieldReader fields(object, "member");
  // Fields past those this build knows are a later version's: ignored.
  fields.expect_at_least(kFirstMemberFieldCount);
  Member m;
  m.name = fields.string("name");
  m.instance = fields.string("instance");
  m.endpoint = fields.string("endpoint");
  m.groups = fields.strings("groups");
  m.weight = fields.uint32("weight");
  m.load = fields.uint32("load");
  m.heartbeat_ms = fields.uint32("heartbeat_ms");
  m.version = fields.string("version");
  if (fields.remaining() >= 2) {
    m.cpu = fields.uint32("cpu");
    m.load_average = fields.uint32("load_average");
  }
  if (m.name.empty()) throw Malformed("member name is empty");
  if (m.heartbeat_ms == 0) throw Malformed("heartbeat_ms must be positive");
  return m;
}

// A cursor over a frame's MessagePack, reading each item where it lies:
// strings and binaries are views into the frame, and a nested value is
// walked (bounded as decode() bounds it) and handed over as its bytes.
class WireReader {
 public:
  explicit WireReader(std::string_view frame) : frame_(frame) {}

  bool at_end() const { return next_ == frame_.size(); }

  // An array header: how many items follow.
  std::uint32_t array(std::string_view what) {
    const auto tag = peek(what);
    if ((tag & 0xf0) == 0x90) return take_byte() & 0x0f;
    if (tag == 0xdc || tag == 0xdd) return static_cast<std::uint32_t>(number(tag == 0xdc ? 2 : 4, what));
    throw Malformed(std::string(what) + " is not an array");
  }

  std::uint64_t uint(std::string_view field, std::uint64_t max = UINT64_MAX) {
    const auto tag = peek(field);
    std::optional<std::uint64_t> value;
    if (tag <= 0x7f) {
      value = take_byte();
    } else if (tag >= 0xcc && tag <= 0xcf) {
      value = number(1 << (tag - 0xcc), field);
    } else if (tag >= 0xd0 && tag <= 0xd3) {
      // A signed encoding of a value that is not negative is the same number.
      const int bytes = 1 << (tag - 0xd0);
      const auto raw = number(bytes, field);
      if (!(raw >> (bytes * 8 - 1) & 1)) value = raw;
    }
    if (!value || *value > max) {
      throw Malformed(std::string(field) + " must be an unsigned integer <= " + std::to_string(max));
    }
    return *value;
  }

  std::uint32_t uint32(std::string_view field) { return static_cast<std::uint32_t>(uint(field, UINT32_MAX)); }

  std::string_view string(std::string_view field) {
    const auto tag = peek(field);
    std::uint64_t size = 0;
    if ((tag & 0xe0) == 0xa0) {
      size = take_byte() & 0x1f;
    } else if (tag >= 0xd9 && tag <= 0xdb) {
      size = number(1 << (tag - 0xd9), field);
    } else {
      throw Malformed(std::string(field) + " must be a string");
    }
    return bytes(size, field);
  }

  std::string_view bin(std::string_view field) {
    const auto tag = peek(field);
    if (tag < 0xc4 || tag > 0xc6) throw Malformed(std::string(field) + " must be bin");
    return bytes(number(1 << (tag - 0xc4), field), field);
  }

  // Any one value, walked with decode()'s bounds: its bytes.
  std::string_view value(std::string_view field) {
    const auto walked = walk_value(frame_, next_);
    if (walked.fault != WalkedValue::Fault::none) throw Malformed(std::string(field) + " " + fault_text(walked.fault));
    const auto start = next_;
    next_ = walked.end;
    return frame_.substr(start, walked.end - start);
  }

 private:
  std::uint8_t peek(std::string_view what) const {
    if (next_ >= frame_.size()) throw Malformed(std::string(what) + " is truncated");
    return static_cast<std::uint8_t>(frame_[next_]);
  }
  std::uint8_t take_byte() { return static_cast<std::uint8_t>(frame_[next_++]); }
  // The big-endian number of `size` bytes after the tag byte.
  std::uint64_t number(int size, std::string_view what) {
    if (frame_.size() - next_ < static_cast<std::size_t>(size) + 1)
      throw Malformed(std::string(what) + " is truncated");
    ++next_;
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) value = value << 8 | take_byte();
    return value;
  }
  std::string_view bytes(std::uint64_t size, std::string_view what) {
    if (frame_.size() - next_ < size) throw Malformed(std::string(what) + " is truncated");
    const auto out = frame_.substr(next_, size);
    next_ += size;
    return out;
  }

  std::string_view frame_;
  std::size_t next_ = 0;
};

// An envelope's first two fields. A version this build does not speak
// reads as nullopt (decode() then says so).
struct Header {
  std::string_view kind;
  std::uint32_t fields;  // after the version and kind
};
std::optional<Header> read_header(WireReader& wire) {
  const auto fields = wire.array("envelope");
  if (fields < 2) throw Malformed("envelope is truncated");
  if (wire.uint("version") != kVersion) return std::nullopt;
  return Header{wire.string("kind"), fields - 2};
}

bool is_call_kind(std::string_view kind) {
  return kind == "call" || kind == "cast";
}

bool is_reply_kind(std::string_view kind) {
  return kind == "result" || kind == "accepted" || kind == "error";
}

// The rest of a call's envelope, after its header.
CallView read_call_fields(WireReader& wire, const Header& header) {
  const auto count = header.fields;
  const auto mode = header.kind == "cast" ? CallMode::cast : CallMode::call;
  // Without the addressed member: a client from before it was added;
  // with a request id: a traced call.
  // With standard input (from 0.5.0): all eight, request_id maybe "".
  const bool addressed = count == 6 || count == 7 || count == 8;
  if (!addressed && count != 4) {
    throw Malformed("envelope has " + std::to_string(count) + " fields, expected 4");
  }
  CallView call;
  call.mode = mode;
  call.id = wire.uint("id");
  call.function = wire.string("function");
  if (!is_valid_function_name(call.function)) {
    throw Malformed("function must be module.function, got '" + std::string(call.function) + "'");
  }
  call.args_msgpack = wire.value("args");
  const auto args_tag = static_cast<std::uint8_t>(call.args_msgpack.front());
  if ((args_tag & 0xf0) != 0x90 && args_tag != 0xdc && args_tag != 0xdd) throw Malformed("args must be an array");
  call.timeout_ms = wire.uint32("timeout_ms");
  if (addressed) {
    call.member = wire.string("member");
    call.instance = wire.string("instance");
    if (count >= 7) {
      call.request_id = wire.string("request_id");
      if (!is_valid_request_id(call.request_id) && !(count == 8 && call.request_id.empty())) {
        throw Malformed("request_id must be 1 to " + std::to_string(kMaxRequestIdBytes) +
                        " characters of [A-Za-z0-9._:-]");
      }
    }
    if (count == 8) {
      call.input = wire.bin("stdin");
      if (call.input->size() > kMaxInputBytes) {
        throw Malformed("stdin is " + std::to_string(call.input->size()) + " bytes; at most " +
                        std::to_string(kMaxInputBytes) + " may be sent");
      }
    }
    // Empty only in a call to whoever answers (traced, or with input).
    if (call.member.empty() && (count == 6 || !call.instance.empty())) {
      throw Malformed("member must not be empty");
    }
  }
  if (!wire.at_end()) throw Malformed("trailing bytes after message");
  return call;
}

// The rest of a reply's envelope, after its header.
CallReply read_reply_fields(WireReader& wire, const Header& header) {
  const auto expect = [&](std::uint32_t count) {
    if (header.fields != count) {
      throw Malformed("envelope has " + std::to_string(header.fields) + " fields, expected " + std::to_string(count));
    }
  };
  CallReply reply;
  if (header.kind == "result") {
    expect(2);
    const auto id = wire.uint("id");
    reply = CallReply::result(id, std::string(wire.value("result")));
  } else if (header.kind == "accepted") {
    expect(1);
    reply = CallReply::accepted(wire.uint("id"));
  } else {
    expect(3);
    const auto id = wire.uint("id");
    const auto code_name = wire.string("code");
    const auto code = error_code_from_string(code_name);
    if (!code) throw Malformed("unknown error code '" + std::string(code_name) + "'");
    reply = CallReply::failure(id, Error{*code, std::string(wire.string("message"))});
  }
  if (!wire.at_end()) throw Malformed("trailing bytes after message");
  return reply;
}

// A leave or an expiry: a member's name and instance, as two fields.
template <typename Gone>
Gone read_gone(FieldReader& fields) {
  fields.expect_remaining(2);
  Gone gone;
  gone.name = fields.string("name");
  gone.instance = fields.string("instance");
  return gone;
}

Message read_message(const msgpack::object& root) {
  FieldReader fields(root, "envelope");
  if (fields.size() < 2) throw Malformed("envelope is truncated");
  const auto version = fields.uint("version");
  if (version != kVersion) {
    throw Malformed("unsupported protocol version " + std::to_string(version) + " (this build speaks " +
                    std::to_string(kVersion) + ")");
  }
  const std::string kind = fields.string("kind");
  if (kind == "announce") {
    fields.expect_remaining(1);
    return Announce{read_member(fields.any())};
  }
  if (kind == "leave") return read_gone<Leave>(fields);
  if (kind == "expired") return read_gone<Expired>(fields);
  if (kind == "snapshot?") {
    fields.expect_remaining(1);
    return SnapshotRequest{fields.string("group")};
  }
  if (kind == "snapshot") {
    fields.expect_remaining(1);
    FieldReader list(fields.any(), "members");
    Snapshot snapshot;
    snapshot.members.reserve(list.size());
    for (std::uint32_t i = 0; i < list.size(); ++i) snapshot.members.push_back(read_member(list.any()));
    return snapshot;
  }
  throw Malformed("unknown message kind '" + kind + "'");
}

bool is_identifier(std::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

CallReply CallReply::result(std::uint64_t id, std::string value_msgpack) {
  CallReply reply;
  reply.id = id;
  reply.kind = Kind::result;
  reply.value_msgpack = std::move(value_msgpack);
  return reply;
}

CallReply CallReply::accepted(std::uint64_t id) {
  CallReply reply;
  reply.id = id;
  reply.kind = Kind::accepted;
  return reply;
}

CallReply CallReply::failure(std::uint64_t id, Error error) {
  CallReply reply;
  reply.id = id;
  reply.kind = Kind::error;
  reply.error = std::move(error);
  return reply;
}

namespace {

using Version = std::pair<unsigned, unsigned>;
// The first agents to read a call's addressee, its request id, its input.
constexpr Version kReadsAddresseeSince{0, 2};
constexpr Version kReadsRequestIdSince{0, 3};
constexpr Version kReadsInputSince{0, 5};

// MAJOR.MINOR of a version string; (0, 0) when it does not start that way.
Version major_minor(std::string_view version) {
  unsigned major = 0;
  unsigned minor = 0;
  const auto* end = version.data() + version.size();
  auto parsed = std::from_chars(version.data(), end, major);
  if (parsed.ec != std::errc() || parsed.ptr == end || *parsed.ptr != '.') return {0, 0};
  if (std::from_chars(parsed.ptr + 1, end, minor).ec != std::errc()) return {0, 0};
  return {major, minor};
}

}  // namespace

bool reads_request_id(const Member& member) {
  return major_minor(member.version) >= kReadsRequestIdSince;
}

bool reads_input(const Member& member) {
  return major_minor(member.version) >= kReadsInputSince;
}

Status can_carry(const CallRequest& request, const Member& member) {
  if (!request.input || reads_input(member)) return {};
  return make_error(ErrorCode::service_unavailable,
                    "node " + member.name + " runs rpclb " + member.version +
                        ", which cannot pass standard input to a program (0.5.0 and later can); nothing was sent");
}

bool address_to(CallRequest& request, const Member& member) {
  const auto version = major_minor(member.version);  // read once, for both
  const bool traced = !request.request_id.empty();
  if (version < kReadsRequestIdSince) request.request_id.clear();
  // Cleared too, so a retry at an older member does not carry the name of
  // the one tried before. Assigned, not built and moved: no temporaries.
  if (version < kReadsAddresseeSince) {
    request.member.clear();
    request.instance.clear();
  } else {
    request.member = member.name;
    request.instance = member.instance;
  }
  return !traced || !request.request_id.empty();
}

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_valid_function_name(std::string_view name) {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  return is_identifier(name.substr(0, dot)) && is_identifier(name.substr(dot + 1));
}

namespace {

// Packs each kind of message into its frame.
struct FramePacker {
  Packer& out;
  StringSink& buffer;
  void operator()(const Announce& m) {
    pack_header(out, "announce", 1);
    out.pack_array(kMemberFieldCount);
    pack_member_fields(out, m.member);
  }
  void operator()(const Leave& m) { pack_gone("leave", m.name, m.instance); }
  void operator()(const Expired& m) { pack_gone("expired", m.name, m.instance); }
  void pack_gone(std::string_view kind, const std::string& name, const std::string& instance) {
    pack_header(out, kind, 2);
    pack_string(out, name);
    pack_string(out, instance);
  }
  void operator()(const SnapshotRequest& m) {
    pack_header(out, "snapshot?", 1);
    pack_string(out, m.group);
  }
  void operator()(const Snapshot& m) {
    pack_header(out, "snapshot", 1);
    out.pack_array(static_cast<std::uint32_t>(m.members.size()));
    for (const auto& member : m.members) {
      out.pack_array(kMemberFieldCount);
      pack_member_fields(out, member);
    }
  }
  void operator()(const CallRequest& m) {
    const bool with_input = m.input.has_value();
    const bool traced = with_input || !m.request_id.empty();
    const bool addressed = traced || !m.member.empty();
    pack_header(out, m.mode == CallMode::call ? "call" : "cast", with_input ? 8 : traced ? 7 : addressed ? 6 : 4);
    out.pack_uint64(m.id);
    pack_string(out, m.function);
    if (m.args_msgpack.empty()) {
      out.pack_array(0);
    } else {
      buffer.write(m.args_msgpack.data(), m.args_msgpack.size());
    }
    out.pack_uint32(m.timeout_ms);
    if (addressed) {
      pack_string(out, m.member);
      pack_string(out, m.instance);
    }
    if (traced) pack_string(out, m.request_id);
    if (with_input) {
      out.pack_bin(static_cast<std::uint32_t>(m.input->size()));
      out.pack_bin_body(m.input->data(), static_cast<std::uint32_t>(m.input->size()));
    }
  }
  void operator()(const CallReply& m) {
    switch (m.kind) {
      case CallReply::Kind::result:
        pack_header(out, "result", 2);
        out.pack_uint64(m.id);
        if (m.value_msgpack.empty()) {
          out.pack_nil();
        } else {
          buffer.write(m.value_msgpack.data(), m.value_msgpack.size());
        }
        break;
      case CallReply::Kind::accepted:
        pack_header(out, "accepted", 1);
        out.pack_uint64(m.id);
        break;
      case CallReply::Kind::error:
        pack_header(out, "error", 3);
        out.pack_uint64(m.id);
        pack_string(out, to_string(m.error.code));
        pack_string(out, m.error.message);
        break;
    }
  }
};

// One message's frame. Calls and replies are packed straight from the
// caller's object: making a Message of one copied all its strings.
template <typename T>
void encode_one_into(std::string& frame, const T& message) {
  frame.clear();
  StringSink buffer{frame};
  Packer out(buffer);
  FramePacker{out, buffer}(message);
}

template <typename T>
std::string encode_one(const T& message) {
  std::string frame;
  frame.reserve(kFirstBufferBytes);
  encode_one_into(frame, message);
  return frame;
}

}  // namespace

std::string encode(const Message& message) {
  return std::visit([](const auto& one) { return encode_one(one); }, message);
}

std::string encode(const CallRequest& request) {
  return encode_one(request);
}

void encode_into(std::string& frame, const CallRequest& request) {
  encode_one_into(frame, request);
}

std::string encode(const CallReply& reply) {
  return encode_one(reply);
}

std::string encode_reply(const CallReply& reply) {
  auto frame = encode(reply);
  if (frame.size() <= kMaxFrameBytes) return frame;
  return encode(CallReply::failure(reply.id, {ErrorCode::internal, "the result is " + std::to_string(frame.size()) +
                                                                       " bytes, over the frame limit of " +
                                                                       std::to_string(kMaxFrameBytes) + " bytes"}));
}

std::optional<CallRequest> peek_call(std::string_view frame) {
  if (frame.empty() || frame.size() > kMaxFrameBytes) return std::nullopt;
  try {
    WireReader wire(frame);
    const auto header = read_header(wire);
    if (!header || !is_call_kind(header->kind) || header->fields < 2) return std::nullopt;
    CallRequest request;
    request.mode = header->kind == "cast" ? CallMode::cast : CallMode::call;
    request.id = wire.uint("id");
    request.function = wire.string("function");
    if (!is_valid_function_name(request.function)) return std::nullopt;
    return request;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

Error malformed(std::string_view why) {
  return {ErrorCode::bad_request, "malformed message: " + std::string(why)};
}

// A frame rpclb reads at all: not empty, and within the frame limit.
Status frame_fits(std::string_view frame) {
  if (frame.size() > kMaxFrameBytes) {
    return make_error(ErrorCode::bad_request, "frame of " + std::to_string(frame.size()) +
                                                  " bytes exceeds the maximum of " + std::to_string(kMaxFrameBytes));
  }
  if (frame.empty()) return make_error(ErrorCode::bad_request, "empty frame");
  return {};
}

// Runs a reader over a frame: whatever it throws (a Malformed, or msgpack's
// own errors) is the sender's malformed message, never the reader's crash.
template <typename Read>
auto reading(const Read& read) -> decltype(read()) {
  try {
    return read();
  } catch (const Malformed& e) {
    return malformed(e.why);
  } catch (const std::exception& e) {
    return malformed(e.what());
  }
}

// A bus message, through msgpack-c's objects.
Result<Message> read_bus_message(std::string_view frame) {
  // Strings are bounded by the frame size; containers and nesting by their own caps.
  const msgpack::unpack_limit limits(kMaxContainerItems, kMaxContainerItems, kMaxFrameBytes, kMaxFrameBytes,
                                     kMaxFrameBytes, kMaxNestingDepth);
  std::size_t offset = 0;
  // Strings are copied into the zone: room for them and the objects.
  msgpack::zone zone(frame.size() + kFirstBufferBytes);
  bool referenced = false;
  const auto object = msgpack::unpack(zone, frame.data(), frame.size(), offset, referenced, nullptr, nullptr, limits);
  if (offset != frame.size()) return make_error(ErrorCode::bad_request, "trailing bytes after message");
  return read_message(object);
}

// Reads a message of one family in place (calls, or replies): its header,
// then the rest of its envelope with `read_fields`.
template <typename T, typename ReadFields>
Result<T> read_one_family(std::string_view frame, bool (*in_family)(std::string_view), const ReadFields& read_fields) {
  if (auto fits = frame_fits(frame); !fits) return fits.error();
  return reading([&]() -> Result<T> {
    WireReader wire(frame);
    const auto header = read_header(wire);
    if (!header) return decode(frame).error();  // the version, said once
    if (!in_family(header->kind)) return make_error(ErrorCode::bad_request, "unexpected message kind");
    return read_fields(wire, *header);
  });
}

}  // namespace

Result<CallView> read_call(std::string_view frame) {
  return read_one_family<CallView>(frame, is_call_kind, read_call_fields);
}

Result<CallReply> read_reply(std::string_view frame) {
  return read_one_family<CallReply>(frame, is_reply_kind, read_reply_fields);
}

CallRequest CallView::owned() const {
  CallRequest request;
  request.id = id;
  request.mode = mode;
  request.function = function;
  request.args_msgpack = args_msgpack;
  request.timeout_ms = timeout_ms;
  request.member = member;
  request.instance = instance;
  request.request_id = request_id;
  if (input) request.input = std::string(*input);
  return request;
}

CallView CallView::of(const CallRequest& request) {
  CallView view;
  view.id = request.id;
  view.mode = request.mode;
  view.function = request.function;
  view.args_msgpack = request.args_msgpack;
  view.timeout_ms = request.timeout_ms;
  view.member = request.member;
  view.instance = request.instance;
  view.request_id = request.request_id;
  if (request.input) view.input = *request.input;
  return view;
}

Result<Message> decode(std::string_view frame) {
  if (auto fits = frame_fits(frame); !fits) return fits.error();
  // Calls and replies are read in place, in one pass; the bus's messages
  // through msgpack-c's objects.
  return reading([frame]() -> Result<Message> {
    WireReader wire(frame);
    if (const auto header = read_header(wire)) {
      if (is_call_kind(header->kind)) return Message(read_call_fields(wire, *header).owned());
      if (is_reply_kind(header->kind)) return Message(read_reply_fields(wire, *header));
    }
    return read_bus_message(frame);
  });
}

}  // namespace rpclb::protocol
