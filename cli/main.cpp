// rpclb: discover, select and call members of rpclb load-balancer groups
// (cli/rpclb_program.cpp).
#include "cli/programs.hpp"

int main(int argc, char** argv) {
  return rpclb::cli::rpclb_main(argc, argv);
}
