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

// A socket nothing was done on since the last wait asked it is watched
// through its descriptor alone: a message that arrives is still seen, and
// one that waited from before is seen when the socket is asked.
TEST(PollSet, ASocketIsSeenThroughItsDescriptorOrWhenAsked) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::pair);
  zmq::socket_t peer(context, zmq::socket_type::pair);
  socket.bind("inproc://poll-set-since");
  peer.connect("inproc://poll-set-since");
  PollSet poll;
  auto item = poll.add(socket);
  poll.wait(std::chrono::milliseconds(0));  // asked: nothing yet
  EXPECT_FALSE(poll.readable(item));

  std::thread sender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    peer.send(zmq::str_buffer("late"), zmq::send_flags::none);
  });
  poll.clear();
  item = poll.add(socket, ZMQ_POLLIN, PollSet::Since::untouched);
  const auto started = Clock::now();
  poll.wait(std::chrono::seconds(5));
  sender.join();
  EXPECT_TRUE(poll.readable(item));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(4));

  // Its wake-up taken in elsewhere (as a send or receive may), the message
  // is seen because the socket is asked.
  (void)socket.get(zmq::sockopt::events);
  poll.clear();
  item = poll.add(socket, ZMQ_POLLIN, PollSet::Since::maybe_used);
  poll.wait(std::chrono::milliseconds(0));
  EXPECT_TRUE(poll.readable(item));
}

}  // namespace
}  // namespace rpclb
