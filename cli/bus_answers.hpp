// What shell completion asks the bus (cli/help_pages.hpp, AskBus): group
// names, a group's members, the functions a group's member serves (and,
// from rpclb itself, the algorithms it knows). Each
// question is bounded by a short timeout (kCompletionAsksFor, or the
// --bus-timeout typed on the line), so a TAB never hangs on a bus that is
// down: it completes nothing instead.
#pragma once

#include <chrono>

#include "cli/help_pages.hpp"

namespace rpclb::cli {

struct CommonOptions;

// Long enough for a hub on a LAN, short enough for a TAB.
inline constexpr std::chrono::milliseconds kCompletionAsksFor{400};

AskBus bus_answers(const CommonOptions& common, std::chrono::milliseconds bound);

}  // namespace rpclb::cli
