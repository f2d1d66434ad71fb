// What shell completion asks the bus (cli/help_pages.hpp, AskBus): group
// names, a group's members, the functions a group's member serves (and,
// from rpclb itself, the algorithms it knows). Each
// question is bounded by a short timeout, so a TAB never hangs on a bus that
// is down: it completes nothing instead.
#pragma once

#include "cli/help_pages.hpp"

namespace rpclb::cli {

struct CommonOptions;

AskBus bus_answers(const CommonOptions& common);

}  // namespace rpclb::cli
