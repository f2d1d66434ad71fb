#include "common/metric_families.hpp"

#include <charconv>
#include <cmath>
#include <msgpack.hpp>

#include "common/msgpack_string.hpp"

namespace rpclb {
namespace {

// Label values escape backslash, double quote and newline; help text only
// backslash and newline.
void append_escaped(std::string& out, std::string_view text, bool quotes) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_value(std::string& out, double value) {
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  char buffer[32];
  // Whole numbers (every counter) print as such; the rest round-trip.
  const auto [end, ec] = std::abs(value) < 1e15 && value == std::floor(value)
                             ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(value))
                             : std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, ec == std::errc() ? end : buffer);
}

using Packer = msgpack::packer<msgpack::sbuffer>;

const msgpack::object* field(const msgpack::object& map, std::string_view key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& entry = map.via.map.ptr[i];
    if (entry.key.type == msgpack::type::STR &&
        std::string_view(entry.key.via.str.ptr, entry.key.via.str.size) == key) {
      return &entry.val;
    }
  }
  return nullptr;
}

std::optional<std::string> string_field(const msgpack::object& map, std::string_view key) {
  const auto* found = field(map, key);
  if (!found || found->type != msgpack::type::STR) return std::nullopt;
  return std::string(found->via.str.ptr, found->via.str.size);
}

std::optional<double> number(const msgpack::object& item) {
  switch (item.type) {
    case msgpack::type::POSITIVE_INTEGER:
      return static_cast<double>(item.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
      return static_cast<double>(item.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return item.via.f64;
    default:
      return std::nullopt;
  }
}

Error malformed(std::string why) {
  return make_error(ErrorCode::bad_request, "the statistics are malformed: " + std::move(why));
}

}  // namespace

std::string sample_text(const MetricSample& sample) {
  std::string out = sample.name;
  if (!sample.labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < sample.labels.size(); ++i) {
      if (i != 0) out += ',';
      out += sample.labels[i].first;
      out += "=\"";
      append_escaped(out, sample.labels[i].second, true);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_value(out, sample.value);
  return out;
}

std::string prometheus_text(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const auto& family : families) {
    out += "# HELP " + family.name + ' ';
    append_escaped(out, family.help, false);
    out += "\n# TYPE " + family.name + ' ' + family.type + '\n';
    for (const auto& sample : family.samples) {
      out += sample_text(sample);
      out += '\n';
    }
  }
  return out;
}

std::string pack_families(const std::vector<MetricFamily>& families) {
  msgpack::sbuffer buffer;
  Packer out(buffer);
  out.pack_array(static_cast<std::uint32_t>(families.size()));
  for (const auto& family : families) {
    out.pack_map(4);
    pack_string(out, "name");
    pack_string(out, family.name);
    pack_string(out, "help");
    pack_string(out, family.help);
    pack_string(out, "type");
    pack_string(out, family.type);
    pack_string(out, "samples");
    out.pack_array(static_cast<std::uint32_t>(family.samples.size()));
    for (const auto& sample : family.samples) {
      out.pack_map(3);
      pack_string(out, "name");
      pack_string(out, sample.name);
      pack_string(out, "labels");
      out.pack_map(static_cast<std::uint32_t>(sample.labels.size()));
      for (const auto& [key, value] : sample.labels) {
        pack_string(out, key);
        pack_string(out, value);
      }
      pack_string(out, "value");
      // Whole numbers go as integers, so JSON shows 12, not 12.0.
      if (sample.value >= 0 && sample.value < 1e18 && sample.value == std::floor(sample.value)) {
        out.pack_uint64(static_cast<std::uint64_t>(sample.value));
      } else {
        out.pack_double(sample.value);
      }
    }
  }
  return std::string(buffer.data(), buffer.size());
}

Result<std::vector<MetricFamily>> unpack_families(std::string_view msgpack_value) {
  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(msgpack_value.data(), msgpack_value.size());
  } catch (const std::exception& e) {
    return malformed(e.what());
  }
  const auto& root = handle.get();
  if (root.type != msgpack::type::ARRAY) return malformed("not an array");
  std::vector<MetricFamily> families;
  for (std::uint32_t i = 0; i < root.via.array.size; ++i) {
    const auto& item = root.via.array.ptr[i];
    MetricFamily family;
    auto name = string_field(item, "name");
    auto help = string_field(item, "help");
    auto type = string_field(item, "type");
    const auto* samples = field(item, "samples");
    if (!name || !help || !type || !samples || samples->type != msgpack::type::ARRAY) {
      return malformed("family " + std::to_string(i) + " lacks name, help, type or samples");
    }
    family.name = std::move(*name);
    family.help = std::move(*help);
    family.type = std::move(*type);
    for (std::uint32_t j = 0; j < samples->via.array.size; ++j) {
      const auto& entry = samples->via.array.ptr[j];
      MetricSample sample;
      auto sample_name = string_field(entry, "name");
      const auto* labels = field(entry, "labels");
      const auto* value = field(entry, "value");
      auto figure = value ? number(*value) : std::nullopt;
      if (!sample_name || !labels || labels->type != msgpack::type::MAP || !figure) {
        return malformed("a sample of " + family.name + " lacks name, labels or value");
      }
      sample.name = std::move(*sample_name);
      sample.value = *figure;
      for (std::uint32_t k = 0; k < labels->via.map.size; ++k) {
        const auto& label = labels->via.map.ptr[k];
        if (label.key.type != msgpack::type::STR || label.val.type != msgpack::type::STR) {
          return malformed("a label of " + family.name + " is not a string");
        }
        sample.labels.emplace_back(std::string(label.key.via.str.ptr, label.key.via.str.size),
                                   std::string(label.val.via.str.ptr, label.val.via.str.size));
      }
      family.samples.push_back(std::move(sample));
    }
    families.push_back(std::move(family));
  }
  return families;
}

}  // namespace rpclb
