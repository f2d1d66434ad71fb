// A TCP listener on 127.0.0.1:`port` that accepts each connection and closes
// it at once, counting them: it shows whether anything still tries to connect
// to a port where a member used to be.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace rpclb::testing {

class AcceptAndClose {
 public:
  explicit AcceptAndClose(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const int reuse = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    listening = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(fd_, 64) == 0;
  }
  AcceptAndClose(const AcceptAndClose&) = delete;
  AcceptAndClose& operator=(const AcceptAndClose&) = delete;
  ~AcceptAndClose() { ::close(fd_); }

  // Accepts (and closes) what is waiting; how many so far.
  int accepted() {
    for (int client; (client = ::accept(fd_, nullptr, nullptr)) >= 0;) {
      ::close(client);
      ++accepted_;
    }
    return accepted_;
  }

  bool listening = false;

 private:
  int fd_ = -1;
  int accepted_ = 0;
};

}  // namespace rpclb::testing
