// Time, injectable: code that reads the time takes a `const Clock&` so tests control it.
//
//   const core::Clock& clock = core::SystemClock::Instance();
//   auto deadline = clock.SteadyNow() + std::chrono::seconds(30);
//
//   core::FakeClock fake;                       // in tests: starts at 2024-01-01T00:00:00Z
//   fake.Advance(std::chrono::seconds(5));      // both Now() and SteadyNow() move by 5 s
//
// Now() is wall-clock time (for timestamps: logs, Date headers, SigV4); SteadyNow() is monotonic
// (for durations and deadlines). Never compute a deadline from Now().
//
// Thread-safety: every Clock's methods may be called concurrently, FakeClock's mutators included.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace bedrock::core {

class Clock {
 public:
  using SystemTime = std::chrono::system_clock::time_point;
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual SystemTime Now() const = 0;
  virtual SteadyTime SteadyNow() const = 0;
};

// The real clocks. Stateless; use the shared Instance() rather than constructing one.
class SystemClock final : public Clock {
 public:
  static const SystemClock& Instance();

  SystemTime Now() const override { return std::chrono::system_clock::now(); }
  SteadyTime SteadyNow() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  // 2024-01-01T00:00:00Z: a fixed, recognisable default so test output is deterministic.
  static constexpr SystemTime kDefaultStart{std::chrono::seconds(1704067200)};

  explicit FakeClock(SystemTime start = kDefaultStart);

  SystemTime Now() const override;
  SteadyTime SteadyNow() const override;

  // Moves both clocks forward by `delta` (negative deltas are ignored: steady time never goes
  // back; use SetNow for a wall-clock step backwards).
  void Advance(std::chrono::nanoseconds delta);
  // Sets wall-clock time only, as an NTP step would; SteadyNow() is unaffected.
  void SetNow(SystemTime now);

 private:
  mutable std::mutex mutex_;
  SystemTime now_;     // guarded by mutex_
  SteadyTime steady_;  // guarded by mutex_
};

// "2024-01-01T00:00:00.000Z": RFC 3339 in UTC with milliseconds (truncated, not rounded).
std::string FormatRfc3339Millis(Clock::SystemTime time);

}  // namespace bedrock::core
