// rpclb-agent: joins load-balancer groups on the bus and serves RPCs
// (cli/agent_program.cpp).
#include "cli/programs.hpp"
#include "cli/service_manager.hpp"

int main(int argc, char** argv) {
  return rpclb::cli::rpclb_agent_main(argc, argv, rpclb::cli::systemd_lifecycle());
}
