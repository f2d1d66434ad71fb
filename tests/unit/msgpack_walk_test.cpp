#include "common/msgpack_walk.hpp"

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <random>
#include <string>
#include <vector>

#include "agent/arguments.hpp"
#include "common/protocol.hpp"

namespace rpclb {
namespace {

using Fault = WalkedValue::Fault;
using protocol::kMaxContainerItems;
using protocol::kMaxNestingDepth;

// What walk_value must agree with: msgpack-c's own parser, walking with
// decode()'s bounds (what WireReader::value did before walk_value).
struct Oracle : msgpack::null_visitor {
  bool start_array(std::uint32_t items) { return enter(items); }
  bool end_array() { return leave(); }
  bool start_map(std::uint32_t pairs) { return enter(pairs); }
  bool end_map() { return leave(); }
  bool enter(std::uint32_t items) {
    over = items > kMaxContainerItems || ++depth > kMaxNestingDepth;
    return !over;
  }
  bool leave() {
    --depth;
    return true;
  }
  std::size_t depth = 0;
  bool over = false;
};

// {read, too large, end}
std::tuple<bool, bool, std::size_t> oracle(std::string_view bytes) {
  Oracle walk;
  std::size_t end = 0;
  const bool read = msgpack::parse(bytes.data(), bytes.size(), end, walk) && !walk.over;
  return {read, walk.over, read ? end : 0};
}

// One value of every kind and length form MessagePack has.
std::vector<std::string> every_kind() {
  std::vector<std::string> values;
  const auto packed = [&](auto&& pack) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> packer(buffer);
    pack(packer);
    values.emplace_back(buffer.data(), buffer.size());
  };
  using Packer = msgpack::packer<msgpack::sbuffer>;
  packed([](Packer& p) { p.pack_nil(); });
  packed([](Packer& p) { p.pack_true(); });
  packed([](Packer& p) { p.pack_false(); });
  for (const std::int64_t n :
       {0LL, 5LL, -3LL, 200LL, -100LL, 60000LL, -30000LL, 4000000000LL, -2000000000LL, 1LL << 40, -(1LL << 40)}) {
    packed([n](Packer& p) { p.pack(n); });
  }
  packed([](Packer& p) { p.pack_uint8(7); });
  packed([](Packer& p) { p.pack_uint16(7); });
  packed([](Packer& p) { p.pack_uint32(7); });
  packed([](Packer& p) { p.pack_uint64(7); });
  packed([](Packer& p) { p.pack_int8(-7); });
  packed([](Packer& p) { p.pack_int16(-7); });
  packed([](Packer& p) { p.pack_int32(-7); });
  packed([](Packer& p) { p.pack_int64(-7); });
  packed([](Packer& p) { p.pack_float(1.5F); });
  packed([](Packer& p) { p.pack_double(2.5); });
  for (const std::size_t size : {0, 3, 31, 32, 255, 256, 70000}) {
    const std::string text(size, 'x');
    packed([&](Packer& p) { p.pack(text); });
    packed([&](Packer& p) { p.pack_bin(static_cast<std::uint32_t>(size)).pack_bin_body(text.data(), text.size()); });
    packed([&](Packer& p) { p.pack_ext(size, 5).pack_ext_body(text.data(), size); });
  }
  for (const std::size_t size : {1, 2, 4, 8, 16}) {
    const std::string data(size, 'e');
    packed([&](Packer& p) { p.pack_ext(size, -1).pack_ext_body(data.data(), size); });
  }
  for (const std::size_t items : {0, 2, 15, 16, 70000}) {
    packed([&](Packer& p) {
      p.pack_array(static_cast<std::uint32_t>(items));
      for (std::size_t i = 0; i < items; ++i) p.pack(i);
    });
    packed([&](Packer& p) {
      p.pack_map(static_cast<std::uint32_t>(items));
      for (std::size_t i = 0; i < items; ++i) p.pack(i).pack("v");
    });
  }
  packed([](Packer& p) {
    p.pack_map(2).pack("list").pack_array(3).pack(1).pack_nil().pack_map(1).pack("k").pack_array(0);
    p.pack("s").pack(std::string(40, 's'));
  });
  return values;
}

// An object as msgpack-c packs it: equal for the same types and values,
// NaN included. (msgpack-c's == on objects is not, and it passes an empty
// string's null pointer to memcmp, which UBSan refuses.)
std::string packed(const msgpack::object& object) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, object);
  return {buffer.data(), buffer.size()};
}

std::string nested(std::size_t depth) {
  return std::string(depth, '\x91') + '\x01';
}

TEST(MsgpackWalk, FindsTheEndOfEveryKindOfValueAndRefusesEveryCut) {
  for (const auto& value : every_kind()) {
    const auto walked = walk_value(value);
    ASSERT_EQ(walked.fault, Fault::none) << value.size();
    EXPECT_EQ(walked.end, value.size());
    // From the middle of a buffer, with bytes after it.
    const auto framed = "\xc0" + value + "\x01\x02";
    EXPECT_EQ(walk_value(framed, 1).end, 1 + value.size());
    for (std::size_t size = 0; size < value.size(); size += 1 + size / 64) {
      EXPECT_EQ(walk_value(std::string_view(value).substr(0, size)).fault, Fault::truncated) << size;
    }
  }
}

TEST(MsgpackWalk, RefusesWhatDecodeRefuses) {
  EXPECT_EQ(walk_value(nested(kMaxNestingDepth)).fault, Fault::none);
  EXPECT_EQ(walk_value(nested(kMaxNestingDepth + 1)).fault, Fault::too_large);
  // A map nests as an array does.
  EXPECT_EQ(walk_value(std::string(kMaxNestingDepth + 1, '\x81') + "\x01").fault, Fault::too_large);
  // Too many items is refused at the header, before the items are looked for.
  const auto header = [](std::uint8_t tag, std::uint32_t items) {
    return std::string{static_cast<char>(tag), static_cast<char>(items >> 24), static_cast<char>(items >> 16),
                       static_cast<char>(items >> 8), static_cast<char>(items)};
  };
  EXPECT_EQ(walk_value(header(0xdd, kMaxContainerItems + 1)).fault, Fault::too_large);
  EXPECT_EQ(walk_value(header(0xdf, kMaxContainerItems + 1)).fault, Fault::too_large);
  EXPECT_EQ(walk_value(header(0xdd, kMaxContainerItems)).fault, Fault::truncated);
  EXPECT_EQ(walk_value("\xc1").fault, Fault::not_msgpack);
  EXPECT_EQ(walk_value("\x92\x01\xc1").fault, Fault::not_msgpack);
  EXPECT_EQ(walk_value("").fault, Fault::truncated);
  EXPECT_EQ(walk_value("\x01", 2).fault, Fault::truncated);
}

// Random bytes, mostly tags and small lengths: walk_value says what
// msgpack-c's parser says, value for value.
TEST(MsgpackWalk, AgreesWithMsgpackCOnRandomBytes) {
  std::mt19937 random(31);
  const std::string tags =
      "\x7f\x80\x81\x8f\x90\x91\x92\x9f\xa0\xa3\xbf\xc0\xc2\xc3\xc4\xc5\xc7\xc8\xca\xcb\xcc"
      "\xcd\xce\xcf\xd0\xd3\xd4\xd8\xd9\xda\xdc\xdd\xde\xdf\xe0\xff\xc1";  // and 0 to 3 below
  int agreed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes;
    const auto size = random() % 24;
    for (std::size_t i = 0; i < size; ++i) {
      bytes += random() % 4 == 0 ? static_cast<char>(random() % 4) : tags[random() % tags.size()];
    }
    const auto [read, over, end] = oracle(bytes);
    const auto walked = walk_value(bytes);
    ASSERT_EQ(walked.fault == Fault::none, read) << testing::PrintToString(bytes);
    if (read) {
      ASSERT_EQ(walked.end, end) << testing::PrintToString(bytes);
      const auto value = bytes.substr(0, end);
      msgpack::zone zone;
      const auto ours = agent::unpack_arguments(zone, value);
      ASSERT_TRUE(ours.ok()) << testing::PrintToString(bytes);
      EXPECT_EQ(packed(*ours), packed(msgpack::unpack(value.data(), value.size()).get()))
          << testing::PrintToString(bytes);
      ++agreed;
    } else if (over) {
      ASSERT_EQ(walked.fault, Fault::too_large) << testing::PrintToString(bytes);
    }
  }
  EXPECT_GT(agreed, 1000);  // enough of them were whole values
}

// The agent builds a call's arguments as msgpack-c's objects in one walk:
// the same objects msgpack-c's own unpack builds, strings left in place.
TEST(MsgpackWalk, ArgumentsUnpackAsMsgpackCUnpacksThem) {
  auto values = every_kind();
  std::string all("\xdc\x00", 2);  // every kind in one array 16
  all += static_cast<char>(values.size());
  for (const auto& value : values) all += value;
  values.push_back(all);
  values.push_back(nested(kMaxNestingDepth));
  for (const auto& value : values) {
    msgpack::zone zone;
    const auto ours = agent::unpack_arguments(zone, value);
    ASSERT_TRUE(ours.ok()) << ours.error().message;
    const auto theirs = msgpack::unpack(value.data(), value.size());
    EXPECT_EQ(packed(*ours), packed(theirs.get())) << testing::PrintToString(value.substr(0, 40));
  }
  msgpack::zone zone;
  const std::string text =
      "\x91\xa3"
      "abc";
  const auto in_place = agent::unpack_arguments(zone, text);
  ASSERT_TRUE(in_place.ok());
  EXPECT_EQ(in_place->via.array.ptr[0].via.str.ptr, text.data() + 2);  // not copied
  const auto deep = agent::unpack_arguments(zone, nested(kMaxNestingDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message, "the argument array " + fault_text(Fault::too_large));
  EXPECT_EQ(agent::unpack_arguments(zone, "\x92\x01").error().message, "the argument array is truncated");
  EXPECT_FALSE(agent::unpack_arguments(zone, "\x90\x01").ok());  // two values
}

}  // namespace
}  // namespace rpclb
