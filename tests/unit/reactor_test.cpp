// Reactor on inproc sockets: it waits on each socket's descriptor and asks a
// socket for its events again after a handler may have used it.
#include "agent/reactor.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "common/event_fd.hpp"

namespace rpclb::agent {
namespace {

using namespace std::chrono_literals;

class ReactorTest : public ::testing::Test {
 protected:
  ReactorTest() {
    served_.bind("inproc://served");
    peer_.connect("inproc://served");
    other_.bind("inproc://other");
    other_peer_.connect("inproc://other");
    // No test waits forever: the run ends after 5 s whatever happens.
    reactor_.when_due([this] { return give_up_; }, [this] { reactor_.stop(); });
  }

  // Reads what `socket` holds; stops the reactor once `wanted` messages came.
  Reactor::Handler reader(zmq::socket_t& socket, int& count, int wanted) {
    return [this, &socket, &count, wanted] {
      zmq::message_t message;
      while (socket.recv(message, zmq::recv_flags::dontwait)) ++count;
      if (count >= wanted) reactor_.stop();
    };
  }

  zmq::context_t context_;
  zmq::socket_t served_{context_, zmq::socket_type::pair};
  zmq::socket_t peer_{context_, zmq::socket_type::pair};
  zmq::socket_t other_{context_, zmq::socket_type::pair};
  zmq::socket_t other_peer_{context_, zmq::socket_type::pair};
  Reactor reactor_;
  Clock::time_point give_up_ = Clock::now() + 5s;
};

TEST_F(ReactorTest, AMessageSentWhileItWaitsIsRead) {
  int read = 0;
  reactor_.on_readable(served_, reader(served_, read, 1), Reactor::Reach::only(served_));
  std::thread sender([this] {
    std::this_thread::sleep_for(100ms);
    peer_.send(zmq::str_buffer("late"), zmq::send_flags::none);
  });
  reactor_.run();
  sender.join();
  EXPECT_EQ(read, 1);
  EXPECT_LT(Clock::now(), give_up_);
}

TEST_F(ReactorTest, ADescriptorIsReadWhenItIsReadable) {
  EventFd wake;
  bool woken = false;
  reactor_.on_readable(wake.fd(), [&] {
    woken = true;
    wake.take();
    reactor_.stop();
  });
  std::thread waker([&] {
    std::this_thread::sleep_for(100ms);
    wake.signal();
  });
  reactor_.run();
  waker.join();
  EXPECT_TRUE(woken);
  EXPECT_LT(Clock::now(), give_up_);
}

// Asking a socket for its events takes in the wake-up its descriptor held:
// a handler that may use any socket has every socket asked again after it,
// or `other_`'s message would wait for some unrelated wake-up.
TEST_F(ReactorTest, ASocketAHandlerUsedIsAskedAgain) {
  int read = 0;
  reactor_.on_readable(other_, reader(other_, read, 1));
  reactor_.when_due([] { return Clock::now(); },
                    [this, runs = 0]() mutable {
                      // After the reactor has asked `other_` once and heard it was empty.
                      if (++runs != 3) return;
                      other_peer_.send(zmq::str_buffer("queued"), zmq::send_flags::none);
                      (void)other_.get(zmq::sockopt::events);  // what any send or receive on it may do
                    });
  reactor_.run();
  EXPECT_EQ(read, 1);
  EXPECT_LT(Clock::now(), give_up_);
}

// A reader that stops after part of its input (a Turn) is called again for
// the rest without anything new arriving.
TEST_F(ReactorTest, InputAReaderLeftIsReadNextTurn) {
  for (int i = 0; i < 3; ++i) peer_.send(zmq::str_buffer("m"), zmq::send_flags::none);
  int read = 0;
  reactor_.on_readable(
      served_,
      [&] {
        zmq::message_t message;
        if (served_.recv(message, zmq::recv_flags::dontwait)) ++read;  // one a turn
        if (read == 3) reactor_.stop();
      },
      Reactor::Reach::only(other_));  // its own socket is asked whatever its reach
  reactor_.run();
  EXPECT_EQ(read, 3);
  EXPECT_LT(Clock::now(), give_up_);
}

}  // namespace
}  // namespace rpclb::agent
