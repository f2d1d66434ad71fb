#include "cli/output.hpp"

#include <cstdio>

namespace rpclb::cli {
namespace {

// Program output need not be UTF-8; replace rather than fail.
std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::json member_json(const protocol::MemberInfo& member) {
  return {{"name", member.name},     {"endpoint", member.endpoint}, {"groups", member.groups},
          {"weight", member.weight}, {"load", member.load},         {"version", member.version}};
}

void print_member_names(const std::vector<protocol::MemberInfo>& members) {
  for (const auto& member : members) std::printf("%s\n", member.name.c_str());
}

void print_members_json(const std::vector<protocol::MemberInfo>& members) {
  auto array = nlohmann::json::array();
  for (const auto& member : members) array.push_back(member_json(member));
  print_json(array);
}

void print_json(const nlohmann::json& value) {
  std::printf("%s\n", dump(value).c_str());
}

nlohmann::json error_json(const Error& error) {
  return {{"code", to_string(error.code)}, {"message", error.message}};
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
