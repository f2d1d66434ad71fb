// The plug-in: least_recently_used offered to the rpclb command.
//
//   rpclb --algorithm-plugin /usr/lib/x86_64-linux-gnu/rpclb/algorithms/least_recently_used.so
//     call workers --algorithm least_recently_used math.add 1 2
#include "least_recently_used.hpp"
#include "rpclb/algorithm_plugin.hpp"

RPCLB_ALGORITHM_PLUGIN({"least_recently_used", {}, rpclb_example::make_least_recently_used})
