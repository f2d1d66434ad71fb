// The open-file limit of a one-shot rpclb: a fan-out at --parallel 256 holds
// about four descriptors per member in flight (its TCP connection and three
// ZeroMQ mailboxes), and as many again while they close, past the soft limit
// of 1,024 that most shells and systemd give.
#pragma once

namespace rpclb::cli {

// Raises this process's soft RLIMIT_NOFILE to its hard limit, as systemd's
// documentation asks of programs that never use select(2). Best effort: a
// limit that cannot be raised stays, and the fan-out reports the members it
// could not reach.
void raise_open_file_limit();

}  // namespace rpclb::cli
