// For a child process (tests/unit/bounded_child.hpp) only: moves it into its
// own network and mount namespaces, where /etc/resolv.conf names a "resolver"
// on the namespace's own loopback that reads queries and never answers. Every
// host name then hangs in the resolver, as behind a dead DNS server, and no
// query leaves the machine.
#pragma once

#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace rpclb::testing {

// 0 once in place; else which step failed (10 to 15), for the test's message.
// The silent resolver's socket stays open for the rest of the child's life.
inline int isolate_with_silent_resolver() {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) return 10;
  if (std::system("ip link set lo up") != 0) return 11;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 12;
  char resolv_conf[] = "/tmp/rpclb-resolv.XXXXXX";
  const int conf = ::mkstemp(resolv_conf);
  const std::string text = "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n";
  if (conf < 0 || ::write(conf, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return 13;
  ::close(conf);
  const bool mounted = ::mount(resolv_conf, "/etc/resolv.conf", nullptr, MS_BIND, nullptr) == 0;
  ::unlink(resolv_conf);
  if (!mounted) return 14;
  const int silent = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(53);
  if (::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 15;
  return 0;
}

}  // namespace rpclb::testing
