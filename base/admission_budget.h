// AdmissionBudget: how many bytes of request bodies may be in memory at once. The HTTP server
// takes a lease before it reads an ingest body and the write path returns it once the data is
// durable, so memory stays bounded whatever the load; a request that does not fit waits (its
// socket unread, so TCP pushes back on the sender) and is refused only after a bounded time.
//
// Thread-safe and lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace sluice {

class AdmissionBudget {
 public:
  explicit AdmissionBudget(uint64_t capacity) : capacity_(capacity) {}

  // Takes `bytes` if they fit. A request larger than the whole budget is admitted when nothing
  // else is in flight, so no request waits forever.
  bool TryAcquire(uint64_t bytes) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    while (true) {
      if (used != 0 && used + bytes > capacity_) return false;
      if (used_.compare_exchange_weak(used, used + bytes, std::memory_order_acq_rel)) return true;
    }
  }
  // Takes `bytes` even past the capacity (a body that grew when decompressed); later requests wait.
  void ForceAcquire(uint64_t bytes) { used_.fetch_add(bytes, std::memory_order_acq_rel); }
  void Release(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_acq_rel); }

  uint64_t in_use() const { return used_.load(std::memory_order_relaxed); }
  uint64_t capacity() const { return capacity_; }

 private:
  const uint64_t capacity_;
  std::atomic<uint64_t> used_{0};
};

// Bytes held from an AdmissionBudget, returned when the lease is destroyed. Move-only.
class AdmissionLease {
 public:
  AdmissionLease() = default;
  AdmissionLease(AdmissionBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
  AdmissionLease(AdmissionLease&& o) noexcept
      : budget_(std::exchange(o.budget_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  AdmissionLease& operator=(AdmissionLease&& o) noexcept {
    if (this != &o) {
      Reset();
      budget_ = std::exchange(o.budget_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  AdmissionLease(const AdmissionLease&) = delete;
  AdmissionLease& operator=(const AdmissionLease&) = delete;
  ~AdmissionLease() { Reset(); }

  // Holds at least `bytes` from now on (forcing past the capacity if needed).
  void GrowTo(uint64_t bytes) {
    if (budget_ != nullptr && bytes > bytes_) {
      budget_->ForceAcquire(bytes - bytes_);
      bytes_ = bytes;
    }
  }
  void Reset() {
    if (budget_ != nullptr) budget_->Release(bytes_);
    budget_ = nullptr;
    bytes_ = 0;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  AdmissionBudget* budget_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace sluice
