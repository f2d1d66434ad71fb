#include "cli/output.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "common/bus_client.hpp"

namespace rpclb::cli {
namespace {

// A thousandths figure as a number (0.457), or null when the member did not
// announce it.
nlohmann::json figure_json(std::uint32_t thousandths) {
  if (thousandths == protocol::kUnknownFigure) return nullptr;
  return thousandths / 1000.0;
}

}  // namespace

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

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

namespace {

// stdout is the process's, and so is what went wrong with it: the errno of
// its first failed flush, kept for the error rpclb ends with.
std::atomic<int> first_stdout_errno{0};

}  // namespace

bool flush_stdout() {
  errno = 0;
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return true;
  int expected = 0;
  first_stdout_errno.compare_exchange_strong(expected, errno != 0 ? errno : EIO);
  return false;
}

std::string stdout_write_error() {
  const int error = first_stdout_errno.load();
  if (error != 0) return std::strerror(error);
  return std::ferror(stdout) ? "a write failed" : "";
}

void print_json(const nlohmann::json& value) {
  std::printf("%s\n", json_text(value).c_str());
}

nlohmann::json error_json(const Error& error) {
  return {{"code", to_string(error.code)}, {"message", error.message}};
}

void note(const std::string& text) {
  std::fprintf(stderr, "rpclb: %s\n", text.c_str());
}

int exit_code_of(const Error& error) {
  const bool no_bus = error.code == ErrorCode::service_unavailable && error.message.starts_with(kNoHubAnswered);
  return no_bus ? kExitNoBus : exit_code_for(error.code);
}

int report(const Error& error, bool json) {
  if (json) {
    std::fprintf(stderr, "%s\n", json_text({{"error", error_json(error)}}).c_str());
  } else {
    std::fprintf(stderr, "rpclb: %s: %s\n", std::string(to_string(error.code)).c_str(), error.message.c_str());
  }
  return exit_code_of(error);
}

}  // namespace rpclb::cli
