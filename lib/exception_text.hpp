// What the exception being handled says, for an error message: called in a
// catch block, where a policy's or a plug-in's code threw.
#pragma once

#include <exception>
#include <string>

namespace rpclb {

inline std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace rpclb
