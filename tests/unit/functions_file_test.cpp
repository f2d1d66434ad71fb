#include "agent/functions_file.hpp"

#include <gtest/gtest.h>

namespace rpclb::agent {
namespace {

TEST(FunctionsFile, ParsesSectionsWithDefaults) {
  auto specs = parse_functions(R"(
# disk tools
[disk.usage]
program = /usr/bin/df
args = -h "/var/lib/my dir" a\"b

[host.uptime]
program = /usr/bin/uptime
timeout_ms = 2000
max_output_bytes = 100
)");
  ASSERT_TRUE(specs.ok()) << specs.error().message;
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[0],
            (FunctionSpec{"disk.usage", "/usr/bin/df", {"-h", "/var/lib/my dir", "a\"b"}, 10000, 1024 * 1024}));
  EXPECT_EQ((*specs)[1], (FunctionSpec{"host.uptime", "/usr/bin/uptime", {}, 2000, 100}));
}

TEST(FunctionsFile, ErrorsNameTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[a.b]\nprogram = relative/path\n", "line 2: program must be an absolute path"},
      {"[a.b]\nprogram = /bin/true\ncolour = red\n", "line 3: unknown key 'colour'"},
      {"program = /bin/true\n", "line 1: setting outside"},
      {"[sys.echo]\nprogram = /bin/echo\n", "line 1: the sys module is reserved"},
      {"[nodot]\n", "line 1: 'nodot' is not module.function"},
      {"[a.b]\nprogram = /bin/true\n[a.b]\nprogram = /bin/true\n", "line 3: function a.b is defined twice"},
      {"[a.b]\n[c.d]\nprogram = /bin/true\n", "line 2: [a.b] has no program"},
      {"[a.b]\n", "[a.b] has no program"},
      {"[a.b]\nprogram = /bin/true\ntimeout_ms = 0\n", "line 3: timeout_ms"},
      {"[a.b]\nprogram = /bin/true\nargs = \"open\n", "line 3: unterminated quote"},
      {"[a.b\n", "line 1: section header must end with ]"},
  };
  for (const auto& [text, expected] : cases) {
    auto specs = parse_functions(text);
    ASSERT_FALSE(specs.ok()) << text;
    EXPECT_EQ(specs.error().code, ErrorCode::bad_request);
    EXPECT_NE(specs.error().message.find(expected), std::string::npos) << specs.error().message;
  }
}

TEST(FunctionsFile, SplitWordsDoesNoExpansion) {
  auto words = split_words(R"($(rm -rf /) ; `x` "a b" 'c')");
  ASSERT_TRUE(words.ok());
  EXPECT_EQ(*words, (std::vector<std::string>{"$(rm", "-rf", "/)", ";", "`x`", "a b", "'c'"}));
}

TEST(FunctionsFile, MissingFileIsABadRequest) {
  auto specs = load_functions_file("/nonexistent/rpclb/functions.conf");
  ASSERT_FALSE(specs.ok());
  EXPECT_EQ(specs.error().code, ErrorCode::bad_request);
}

}  // namespace
}  // namespace rpclb::agent
