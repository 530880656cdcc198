// Clock: the one source of time for code that must be testable with a fake one.
//
// Wall time (Now) stamps data and answers "when"; steady time (SteadyNow) measures intervals and
// deadlines and never jumps. Both are read through one interface so a test can drive them together.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sluice {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;

  // Wall time as nanoseconds since the Unix epoch.
  int64_t NowNanos() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Now().time_since_epoch()).count();
  }

  // The process-wide real clock. Thread-safe; lives forever.
  static const Clock& Real();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start = {})
      : wall_ns_(start.time_since_epoch().count()) {}

  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(
        std::chrono::system_clock::duration(wall_ns_.load()));
  }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(steady_ns_.load()));
  }
  void Advance(std::chrono::nanoseconds d) {
    wall_ns_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d).count();
    steady_ns_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d).count();
  }

 private:
  std::atomic<std::chrono::system_clock::rep> wall_ns_;
  std::atomic<std::chrono::steady_clock::rep> steady_ns_{0};
};

}  // namespace sluice
