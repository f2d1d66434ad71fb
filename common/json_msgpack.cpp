#include "common/json_msgpack.hpp"

#include "common/msgpack_string.hpp"

#include <cmath>
#include <optional>

namespace rpclb {

void pack_json(msgpack::packer<msgpack::sbuffer>& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      out.pack_nil();
      break;
    case nlohmann::json::value_t::boolean:
      value.get<bool>() ? out.pack_true() : out.pack_false();
      break;
    case nlohmann::json::value_t::number_integer:
      out.pack_int64(value.get<std::int64_t>());
      break;
    case nlohmann::json::value_t::number_unsigned:
      out.pack_uint64(value.get<std::uint64_t>());
      break;
    case nlohmann::json::value_t::number_float:
      out.pack_double(value.get<double>());
      break;
    case nlohmann::json::value_t::string: {
      pack_string(out, value.get_ref<const std::string&>());
      break;
    }
    case nlohmann::json::value_t::binary: {
      const auto& bytes = value.get_binary();
      out.pack_bin(static_cast<std::uint32_t>(bytes.size()));
      out.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), static_cast<std::uint32_t>(bytes.size()));
      break;
    }
    case nlohmann::json::value_t::array:
      out.pack_array(static_cast<std::uint32_t>(value.size()));
      for (const auto& item : value) pack_json(out, item);
      break;
    case nlohmann::json::value_t::object:
      out.pack_map(static_cast<std::uint32_t>(value.size()));
      for (const auto& [key, item] : value.items()) {
        pack_string(out, key);
        pack_json(out, item);
      }
      break;
  }
}

std::string json_to_msgpack(const nlohmann::json& value) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  pack_json(out, value);
  return std::string(buffer.data(), buffer.size());
}

namespace {

// A map key as a JSON object key, which must be a string. A string is itself
// and a scalar its JSON text ("1", "true"). An array or map key is
// "msgpack:" and the hex of its bytes: its JSON text would be escaped again at
// every level of nesting, doubling in size each time (a 150-byte value of
// nested map keys took the fuzzer past its 5 s limit).
std::string key_text(const msgpack::object& key) {
  switch (key.type) {
    case msgpack::type::STR:
      return std::string(key.via.str.ptr, key.via.str.size);
    case msgpack::type::ARRAY:
    case msgpack::type::MAP: {
      msgpack::sbuffer bytes;
      msgpack::pack(bytes, key);
      constexpr char kHex[] = "0123456789abcdef";
      std::string text = "msgpack:";
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        const auto byte = static_cast<unsigned char>(bytes.data()[i]);
        text += kHex[byte >> 4];
        text += kHex[byte & 0xf];
      }
      return text;
    }
    default:
      return object_to_json(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace

nlohmann::json object_to_json(const msgpack::object& value) {
  switch (value.type) {
    case msgpack::type::NIL:
      return nullptr;
    case msgpack::type::BOOLEAN:
      return value.via.boolean;
    case msgpack::type::POSITIVE_INTEGER:
      return value.via.u64;
    case msgpack::type::NEGATIVE_INTEGER:
      return value.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      // JSON has no NaN or infinity.
      return std::isfinite(value.via.f64) ? nlohmann::json(value.via.f64) : nlohmann::json(nullptr);
    case msgpack::type::STR:
      return std::string(value.via.str.ptr, value.via.str.size);
    case msgpack::type::BIN:
      // Shown as text so that program output stays readable; invalid UTF-8 is replaced on dump.
      return std::string(value.via.bin.ptr, value.via.bin.size);
    case msgpack::type::ARRAY: {
      auto array = nlohmann::json::array();
      for (std::uint32_t i = 0; i < value.via.array.size; ++i) array.push_back(object_to_json(value.via.array.ptr[i]));
      return array;
    }
    case msgpack::type::MAP: {
      auto object = nlohmann::json::object();
      for (std::uint32_t i = 0; i < value.via.map.size; ++i) {
        const auto& kv = value.via.map.ptr[i];
        object[key_text(kv.key)] = object_to_json(kv.val);
      }
      return object;
    }
    case msgpack::type::EXT:
      return nullptr;
  }
  return nullptr;
}

Result<nlohmann::json> msgpack_to_json(std::string_view bytes) {
  try {
    auto handle = msgpack::unpack(bytes.data(), bytes.size());
    return object_to_json(handle.get());
  } catch (const std::exception& e) {
    return make_error(ErrorCode::bad_request, std::string("invalid MessagePack value: ") + e.what());
  }
}

namespace {

// Builds the document as nlohmann's own DOM parser does, except that a
// number JSON cannot carry exactly (an integer past 64 bits, a decimal whose
// text is not its shortest form, like 1.50) becomes the string as typed: what
// a user types must arrive unchanged.
class ExactNumbers final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit ExactNumbers(nlohmann::json& root) : dom_(root, /*allow_exceptions=*/false) {}
  bool null() override { return dom_.null(); }
  bool boolean(bool value) override { return dom_.boolean(value); }
  bool number_integer(number_integer_t value) override { return dom_.number_integer(value); }
  bool number_unsigned(number_unsigned_t value) override { return dom_.number_unsigned(value); }
  bool number_float(number_float_t value, const string_t& text) override {
    if (std::isfinite(value) && nlohmann::json(value).dump() == text) return dom_.number_float(value, text);
    string_t as_typed = text;
    return dom_.string(as_typed);
  }
  bool string(string_t& value) override { return dom_.string(value); }
  bool binary(binary_t& value) override { return dom_.binary(value); }
  bool start_object(std::size_t size) override { return dom_.start_object(size); }
  bool key(string_t& value) override { return dom_.key(value); }
  bool end_object() override { return dom_.end_object(); }
  bool start_array(std::size_t size) override { return dom_.start_array(size); }
  bool end_array() override { return dom_.end_array(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  nlohmann::detail::json_sax_dom_parser<nlohmann::json> dom_;
};

}  // namespace

std::optional<nlohmann::json> parse_json_exactly(std::string_view text) {
  nlohmann::json root;
  ExactNumbers builder(root);
  if (!nlohmann::json::sax_parse(text.begin(), text.end(), &builder, nlohmann::json::input_format_t::json,
                                 /*strict=*/true)) {
    return std::nullopt;
  }
  return root;
}

nlohmann::json parse_cli_argument(std::string_view text) {
  auto parsed = parse_json_exactly(text);
  if (!parsed) return std::string(text);
  // "-0" parses as the integer 0: keep what was typed.
  if (parsed->is_number_integer() && parsed->dump() != text) return std::string(text);
  return std::move(parsed).value();
}

}  // namespace rpclb
