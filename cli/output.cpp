#include "cli/output.hpp"

#include "common/logfmt.hpp"
#include "common/metric_families.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/json_msgpack.hpp"

namespace rpclb::cli {
namespace {

// Program output need not be UTF-8; replace rather than fail.
std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

namespace {

// A thousandths figure as a number (0.457), or null when the member did not
// announce it.
nlohmann::json figure_json(std::uint32_t thousandths) {
  if (thousandths == protocol::kUnknownFigure) return nullptr;
  return thousandths / 1000.0;
}

}  // namespace

nlohmann::json member_json(const Member& member) {
  return {{"name", member.name},
          {"endpoint", member.endpoint},
          {"groups", member.groups},
          {"weight", member.weight},
          {"load", member.load},
          {"cpu", figure_json(member.cpu)},
          {"load_average", figure_json(member.load_average)},
          {"version", member.version}};
}

void print_member_names(const std::vector<Member>& members) {
  for (const auto& member : members) std::printf("%s\n", member.name.c_str());
}

void print_members_json(const std::vector<Member>& members) {
  auto array = nlohmann::json::array();
  for (const auto& member : members) array.push_back(member_json(member));
  print_json(array);
}

void print_members_json(const std::vector<Member>& members, const Remembered& remembered) {
  const auto now = state::wall_now();
  auto array = nlohmann::json::array();
  for (const auto& member : members) {
    auto line = member_json(member);
    auto outstanding = remembered.outstanding.find(member.name);
    line["outstanding"] = outstanding == remembered.outstanding.end() ? 0 : outstanding->second;
    auto ejected = remembered.ejected_until.find(member.name);
    line["ejected"] = ejected != remembered.ejected_until.end();
    if (ejected != remembered.ejected_until.end()) {
      line["ejected_until"] = utc_timestamp(ejected->second);
      line["ejected_for_ms"] = std::max<std::int64_t>(0, ejected->second - now);
    }
    array.push_back(std::move(line));
  }
  print_json(array);
}

std::string utc_timestamp(state::WallMs at) {
  const std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", text, static_cast<int>(at % 1000));
  return out;
}

void print_json(const nlohmann::json& value) {
  std::printf("%s\n", dump(value).c_str());
}

void print_watch_event(std::string_view event, const Member& member, bool json) {
  if (json) {
    print_json({{"event", event}, {"member", member_json(member)}});
  } else {
    std::printf("%.*s %s endpoint=%s load=%u weight=%u\n", static_cast<int>(event.size()), event.data(),
                member.name.c_str(), member.endpoint.c_str(), member.load, member.weight);
  }
  std::fflush(stdout);  // one event per line, as it happens, even into a pipe
}

void print_group_counts(const std::map<std::string, int>& counts, bool json) {
  if (json) {
    auto array = nlohmann::json::array();
    for (const auto& [group, count] : counts) array.push_back({{"group", group}, {"members", count}});
    print_json(array);
  } else {
    for (const auto& [group, count] : counts) std::printf("%s %d\n", group.c_str(), count);
  }
}

int print_stats(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results, bool json) {
  auto array = nlohmann::json::array();
  int exit_code = kExitOk;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& name = members[i].name;
    nlohmann::json entry{{"name", name}, {"endpoint", members[i].endpoint}};
    auto families =
        results[i] ? unpack_families(results[i]->value_msgpack) : Result<std::vector<MetricFamily>>(results[i].error());
    if (!families) {
      entry["error"] = error_json(families.error());
      if (exit_code == kExitOk) exit_code = exit_code_for(families.error().code);
      if (!json) {
        std::fprintf(stderr, "rpclb: %s: %s: %s\n", name.c_str(), std::string(to_string(families.error().code)).c_str(),
                     families.error().message.c_str());
      }
    } else if (json) {
      auto metrics = msgpack_to_json(results[i]->value_msgpack);
      entry["metrics"] = metrics ? *metrics : nlohmann::json();
    } else {
      for (const auto& family : *families) {
        for (const auto& sample : family.samples) std::printf("%s %s\n", name.c_str(), sample_text(sample).c_str());
      }
    }
    array.push_back(std::move(entry));
  }
  if (json) print_json(array);
  return exit_code;
}

void print_pings(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results, bool json) {
  auto array = nlohmann::json::array();
  for (std::size_t i = 0; i < members.size(); ++i) {
    nlohmann::json line{{"name", members[i].name}, {"endpoint", members[i].endpoint}};
    if (results[i]) {
      auto info = msgpack_to_json(results[i]->value_msgpack);
      const double rtt_ms = static_cast<double>(results[i]->round_trip.count()) / 1000.0;
      line["rtt_ms"] = rtt_ms;
      line["in_flight"] = info ? (*info)["in_flight"] : nlohmann::json();
      line["version"] = info ? (*info)["version"] : nlohmann::json();
      line["uptime_ms"] = info ? (*info)["uptime_ms"] : nlohmann::json();
      if (!json) {
        std::printf("%s %.2f ms in_flight=%s version=%s\n", members[i].name.c_str(), rtt_ms,
                    line["in_flight"].dump().c_str(), line["version"].get<std::string>().c_str());
      }
    } else {
      const auto& error = results[i].error();
      line["error"] = error_json(error);
      if (!json) {
        std::printf("%s %s: %s\n", members[i].name.c_str(), std::string(to_string(error.code)).c_str(),
                    error.message.c_str());
      }
    }
    array.push_back(std::move(line));
  }
  if (json) print_json(array);
}

void print_fan_out(const std::vector<Member>& members, const std::vector<Result<CallOutcome>>& results,
                   protocol::CallMode mode, bool json) {
  auto array = nlohmann::json::array();
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& name = members[i].name;
    nlohmann::json line{{"node", name}};
    if (results[i] && mode == protocol::CallMode::cast) {
      line["accepted"] = true;
    } else if (results[i]) {
      auto value = msgpack_to_json(results[i]->value_msgpack);
      line["result"] = value ? *value : nlohmann::json();
    } else {
      line["error"] = error_json(results[i].error());
    }
    if (!json) {
      const auto shown = line.contains("error")    ? dump(line["error"])
                         : line.contains("result") ? dump(line["result"])
                                                   : "accepted";
      std::printf("%s\t%s\n", name.c_str(), shown.c_str());
    }
    array.push_back(std::move(line));
  }
  if (json) print_json(array);
}

void print_keygen(const std::string& prefix, const std::string& public_key, bool json) {
  if (json) {
    print_json({{"secret_file", prefix + ".key"}, {"public_file", prefix + ".pub"}, {"public", public_key}});
  } else {
    std::printf("%s.key\n%s.pub\n", prefix.c_str(), prefix.c_str());
  }
}

nlohmann::json error_json(const Error& error) {
  return {{"code", to_string(error.code)}, {"message", error.message}};
}

void print_trace(const AttemptReport& attempt) {
  std::string line = "rpclb: trace";
  append_logfmt_field(line, "request_id", attempt.request_id);
  append_logfmt_field(line, "attempt", std::to_string(attempt.attempt));
  append_logfmt_field(line, "member", attempt.member);
  append_logfmt_field(line, "endpoint", attempt.endpoint);
  append_logfmt_field(line, "outcome", attempt.error ? to_string(attempt.error->code) : "ok");
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.2f", static_cast<double>(attempt.took.count()) / 1000.0);
  append_logfmt_field(line, "ms", ms);
  if (attempt.error) append_logfmt_field(line, "error", attempt.error->message);
  if (!attempt.skipped_ejected.empty())
    append_logfmt_field(line, "skipped_ejected", join(attempt.skipped_ejected, ","));
  if (attempt.ejected_until != 0) append_logfmt_field(line, "ejected_until", utc_timestamp(attempt.ejected_until));
  if (attempt.id_dropped) append_logfmt_field(line, "request_id_dropped", "true");
  std::fprintf(stderr, "%s\n", line.c_str());
}

void note(const std::string& text) {
  std::fprintf(stderr, "rpclb: %s\n", text.c_str());
}

int report(const Error& error, bool json) {
  if (json) {
    std::fprintf(stderr, "%s\n", dump({{"error", error_json(error)}}).c_str());
  } else {
    std::fprintf(stderr, "rpclb: %s: %s\n", std::string(to_string(error.code)).c_str(), error.message.c_str());
  }
  return exit_code_for(error.code);
}

}  // namespace rpclb::cli
