#include "common/poll_set.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "common/clock.hpp"
#include "common/event_fd.hpp"
#include "common/zmq_helpers.hpp"

namespace rpclb {
namespace {

TEST(PollSet, SaysWhichItemIsReadyByTheNameAddGaveIt) {
  EventFd quiet;
  EventFd woken;
  zmq::context_t context;
  auto socket = make_socket(context, zmq::socket_type::dealer);
  socket.bind("inproc://poll-set");
  PollSet poll;
  const auto first = poll.add(quiet.fd());
  const auto writable_socket = poll.add(socket, ZMQ_POLLOUT);
  const auto second = poll.add(woken.fd());
  woken.signal();
  poll.wait(std::chrono::seconds(5));
  EXPECT_FALSE(poll.readable(first));
  EXPECT_TRUE(poll.readable(second));
  EXPECT_FALSE(poll.writable(writable_socket));  // nobody connected: nowhere to send

  poll.clear();
  const auto again = poll.add(quiet.fd());
  EXPECT_EQ(again, 0u);
  poll.wait(std::chrono::milliseconds(0));
  EXPECT_FALSE(poll.readable(again));
}

TEST(PollSet, AWaitASignalInterruptsIsOneWhereNothingBecameReady) {
  struct sigaction handled {};
  handled.sa_handler = [](int) {};  // no SA_RESTART: the wait is interrupted
  struct sigaction before {};
  ASSERT_EQ(::sigaction(SIGALRM, &handled, &before), 0);
  // To this thread, whichever others the test program runs.
  const auto waiter = ::pthread_self();
  std::thread interrupter([waiter] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::pthread_kill(waiter, SIGALRM);
  });

  EventFd never;
  PollSet poll;
  const auto item = poll.add(never.fd());
  const auto started = Clock::now();
  EXPECT_NO_THROW(poll.wait(std::chrono::seconds(5)));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(4));
  EXPECT_FALSE(poll.readable(item));
  interrupter.join();
  ::sigaction(SIGALRM, &before, nullptr);
}

}  // namespace
}  // namespace rpclb
