#include "agent/cancel.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <thread>

namespace bedrock::agent {
namespace {

TEST(CancelTokenTest, CallbackRunsOnItsExecutorOnce) {
  boost::asio::io_context io;
  CancelToken token;
  int calls = 0;
  auto registration = token.OnCancel(io.get_executor(), [&] { ++calls; });
  token.Cancel("first");
  token.Cancel("second");
  EXPECT_EQ(calls, 0);  // posted, not run inline
  io.run();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(token.cancelled());
  EXPECT_EQ(token.reason(), "first");
}

TEST(CancelTokenTest, RegisteringAfterCancelRunsAtOnce) {
  boost::asio::io_context io;
  CancelToken token;
  token.Cancel();
  int calls = 0;
  auto registration = token.OnCancel(io.get_executor(), [&] { ++calls; });
  io.run();
  EXPECT_EQ(calls, 1);
}

TEST(CancelTokenTest, DestroyedRegistrationNeverRuns) {
  boost::asio::io_context io;
  CancelToken token;
  int calls = 0;
  {
    auto registration = token.OnCancel(io.get_executor(), [&] { ++calls; });
    token.Cancel();  // posted while registered ...
  }                  // ... but unregistered before it runs
  io.run();
  EXPECT_EQ(calls, 0);
}

TEST(CancelTokenTest, CancelFromAnotherThread) {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  CancelToken token;
  bool ran = false;
  auto registration = token.OnCancel(io.get_executor(), [&] {
    ran = true;
    work.reset();
  });
  std::thread other([&] { token.Cancel("from afar"); });
  io.run();
  other.join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace bedrock::agent
