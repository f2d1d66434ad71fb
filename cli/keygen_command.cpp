// rpclb keygen PREFIX: a CURVE keypair for a client or a cluster.
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "common/curve.hpp"

namespace rpclb::cli {
namespace {

// `keygen`: the files written.
void print_keygen(const std::string& prefix, const std::string& public_key, bool json) {
  if (json) {
    print_json({{"secret_file", prefix + ".key"}, {"public_file", prefix + ".pub"}, {"public", public_key}});
  } else {
    std::printf("%s.key\n%s.pub\n", prefix.c_str(), prefix.c_str());
  }
}

}  // namespace

Run setup_keygen(CLI::App& command, const CommonOptions& common) {
  auto prefix = std::make_shared<std::string>();
  command.add_option("PREFIX", *prefix, "Path without extension, e.g. /etc/rpclb/cluster")->required();
  return [&common, prefix](const VerbatimArgv&) {
    auto keys = generate_keypair();
    if (!keys) return report(keys.error(), common.json);
    if (auto written = write_keypair(*prefix, *keys); !written) return report(written.error(), common.json);
    print_keygen(*prefix, keys->public_key, common.json);
    return kExitOk;
  };
}

}  // namespace rpclb::cli
