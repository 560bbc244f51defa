// Wall-clock and process CPU time since construction, for the benchmarks' budgets and rates.
// CPU time (CLOCK_PROCESS_CPUTIME_ID, every thread of the process) matches what Node's
// process.cpuUsage() reports for the JavaScript peers, and is not skewed by other jobs sharing the
// machine the way wall-clock time is.
#pragma once

#include <time.h>

#include <chrono>

namespace bench {

class Stopwatch {
 public:
  Stopwatch() : wall_start_(std::chrono::steady_clock::now()), cpu_start_(ProcessCpu()) {}

  double WallSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  }
  double CpuSeconds() const { return ProcessCpu() - cpu_start_; }

 private:
  static double ProcessCpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }

  std::chrono::steady_clock::time_point wall_start_;
  double cpu_start_;
};

}  // namespace bench
