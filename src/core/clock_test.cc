#include "core/clock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace bedrock::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeClockTest, StartsAtTheDocumentedDefault) {
  FakeClock clock;
  EXPECT_EQ(FormatRfc3339Millis(clock.Now()), "2024-01-01T00:00:00.000Z");
}

TEST(FakeClockTest, AdvanceMovesBothClocks) {
  FakeClock clock;
  auto wall = clock.Now();
  auto steady = clock.SteadyNow();
  clock.Advance(milliseconds(1500));
  EXPECT_EQ(clock.Now() - wall, milliseconds(1500));
  EXPECT_EQ(clock.SteadyNow() - steady, milliseconds(1500));
}

TEST(FakeClockTest, NegativeAdvanceIsIgnored) {
  FakeClock clock;
  auto steady = clock.SteadyNow();
  clock.Advance(-seconds(5));
  EXPECT_EQ(clock.SteadyNow(), steady);
}

TEST(FakeClockTest, SetNowStepsWallClockOnly) {
  FakeClock clock;
  auto steady = clock.SteadyNow();
  clock.SetNow(Clock::SystemTime(seconds(0)));
  EXPECT_EQ(FormatRfc3339Millis(clock.Now()), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(clock.SteadyNow(), steady);
}

TEST(FakeClockTest, ConcurrentAdvancesAreAllApplied) {
  FakeClock clock;
  auto start = clock.SteadyNow();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        clock.Advance(milliseconds(1));
        (void)clock.Now();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(clock.SteadyNow() - start, milliseconds(4000));
}

TEST(SystemClockTest, SteadyClockDoesNotGoBackwards) {
  const Clock& clock = SystemClock::Instance();
  auto a = clock.SteadyNow();
  auto b = clock.SteadyNow();
  EXPECT_LE(a, b);
}

TEST(FormatRfc3339MillisTest, FormatsUtcWithMilliseconds) {
  // 2024-02-29T23:59:59.999Z: a leap day, last millisecond.
  Clock::SystemTime t{milliseconds(1709251199999)};
  EXPECT_EQ(FormatRfc3339Millis(t), "2024-02-29T23:59:59.999Z");
}

TEST(FormatRfc3339MillisTest, TruncatesSubMilliseconds) {
  Clock::SystemTime t{std::chrono::microseconds(1999)};
  EXPECT_EQ(FormatRfc3339Millis(t), "1970-01-01T00:00:00.001Z");
}

TEST(FormatRfc3339MillisTest, HandlesTimesBeforeTheEpoch) {
  Clock::SystemTime t{milliseconds(-1)};
  EXPECT_EQ(FormatRfc3339Millis(t), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace bedrock::core
