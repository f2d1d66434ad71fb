// VerbatimArgv: the command line as CLI11 may safely see it, and a way back
// to what was typed.
//
// CLI11 2.1 splits a value written as [a,b] into two values for any option
// that takes several (the call arguments among them), even after "--", so
// `rpclb call g f '[1,[2]]'` would send 1, "[2" and "]". Every such word is
// handed to CLI11 as an opaque placeholder and restored as CLI11 takes it,
// before the option's checks (one transform on every option, set in
// cli/rpclb_program.cpp), so each word arrives as exactly one value, as typed.
//
// CLI11 also hands words after "--" back to the parent command once a
// subcommand's positionals are filled (`call g f a -- --json` would turn on
// --json), so for call and cast everything after the first "--" is kept out
// of its sight: those words are arguments, whatever they look like.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rpclb::cli {

class VerbatimArgv {
 public:
  enum class AfterDoubleDash { parse, keep_as_arguments };
  VerbatimArgv(int argc, const char* const* argv, AfterDoubleDash after_double_dash);

  // What to hand to CLI11's parse(argc, argv).
  int argc() const { return static_cast<int>(pointers_.size()) - 1; }
  char** argv() { return pointers_.data(); }

  // The words after the first "--" (keep_as_arguments), exactly as typed.
  const std::vector<std::string>& arguments_after_double_dash() const { return after_double_dash_; }

  // Puts the typed words back where CLI11 stored a placeholder.
  void restore(std::string& value) const;
  void restore(std::vector<std::string>& values) const;
  // Placeholders inside a message (a CLI11 error naming an argument).
  std::string restored_text(std::string text) const;

 private:
  std::vector<std::string> words_;      // as handed to CLI11
  std::vector<std::string> originals_;  // originals_[i]: the word placeholder i stands for
  std::vector<std::string> after_double_dash_;
  std::vector<char*> pointers_;
};

}  // namespace rpclb::cli
