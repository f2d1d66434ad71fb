// The structured error every rpclb operation reports, and the stable mapping
// from error codes to process exit codes that shell scripts rely on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace rpclb {

enum class ErrorCode {
  service_unavailable,  // no member to route to, node unreachable, agent draining
  request_timeout,      // the deadline passed before a reply arrived
  bad_request,          // malformed request, wrong arguments, bad CLI usage
  not_found,            // unknown function
  internal,             // the function itself failed
};

// Exit codes are part of the CLI contract (README "Exit codes"): never renumber.
inline constexpr int kExitOk = 0;
int exit_code_for(ErrorCode code);

std::string_view to_string(ErrorCode code);
std::optional<ErrorCode> error_code_from_string(std::string_view name);

struct Error {
  ErrorCode code;
  std::string message;

  friend bool operator==(const Error&, const Error&) = default;
};

// A value or the Error explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Taken by reference: a large T (a call on its way) is moved once, into place.
  Result(const T& value) : state_(value) {}          // NOLINT: implicit by design
  Result(T&& value) : state_(std::move(value)) {}    // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result<void> counterpart.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace rpclb
