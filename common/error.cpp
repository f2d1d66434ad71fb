#include "rpclb/error.hpp"

#include <array>
#include <utility>

namespace rpclb {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int exit_code;
};

// One row per code: the wire name and the exit code documented in the README.
constexpr std::array<CodeInfo, 5> kCodes{{
    {ErrorCode::internal, "internal", 1},
    {ErrorCode::bad_request, "bad_request", 2},
    {ErrorCode::not_found, "not_found", 3},
    {ErrorCode::service_unavailable, "service_unavailable", 4},
    {ErrorCode::request_timeout, "request_timeout", 5},
}};

const CodeInfo& info(ErrorCode code) {
  for (const auto& row : kCodes) {
    if (row.code == code) return row;
  }
  return kCodes[0];
}

}  // namespace

int exit_code_for(ErrorCode code) {
  return info(code).exit_code;
}

std::string_view to_string(ErrorCode code) {
  return info(code).name;
}

std::optional<ErrorCode> error_code_from_string(std::string_view name) {
  for (const auto& row : kCodes) {
    if (row.name == name) return row.code;
  }
  return std::nullopt;
}

}  // namespace rpclb
