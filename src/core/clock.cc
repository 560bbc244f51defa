#include "core/clock.h"

#include <fmt/format.h>

namespace bedrock::core {

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

// The steady clock starts at an arbitrary non-zero point, like a real one, so code that treats a
// zero time_point as "unset" is not accidentally exercised.
FakeClock::FakeClock(SystemTime start)
    : now_(start), steady_(std::chrono::steady_clock::time_point(std::chrono::hours(1000))) {}

Clock::SystemTime FakeClock::Now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

Clock::SteadyTime FakeClock::SteadyNow() const {
  std::lock_guard lock(mutex_);
  return steady_;
}

void FakeClock::Advance(std::chrono::nanoseconds delta) {
  if (delta.count() <= 0) return;
  std::lock_guard lock(mutex_);
  now_ += std::chrono::duration_cast<SystemTime::duration>(delta);
  steady_ += std::chrono::duration_cast<SteadyTime::duration>(delta);
}

void FakeClock::SetNow(SystemTime now) {
  std::lock_guard lock(mutex_);
  now_ = now;
}

std::string FormatRfc3339Millis(Clock::SystemTime time) {
  using namespace std::chrono;
  auto ms_since_epoch = floor<milliseconds>(time.time_since_epoch()).count();
  auto days_since_epoch = floor<days>(milliseconds(ms_since_epoch));
  year_month_day date{sys_days(days_since_epoch)};
  int64_t ms_of_day = ms_since_epoch - duration_cast<milliseconds>(days_since_epoch).count();
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     ms_of_day / 3600000, ms_of_day / 60000 % 60, ms_of_day / 1000 % 60,
                     ms_of_day % 1000);
}

}  // namespace bedrock::core
