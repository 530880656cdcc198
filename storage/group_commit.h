// Gathering a shard writer's next group commit from its submission queue, shared by the log and
// metrics engines: everything queued now, and under Durability::kInterval whatever else arrives
// until the next fsync is due, so that one fsync acknowledges many requests.
#pragma once

#include <concurrentqueue/blockingconcurrentqueue.h>

#include <chrono>
#include <vector>

#include "storage/durability.h"

namespace sluice::storage {

inline constexpr size_t kMaxGroupSubmissions = 4096;

template <typename Submission>
void GatherGroupCommit(moodycamel::BlockingConcurrentQueue<Submission>& queue,
                       std::vector<Submission>& batch, Durability durability,
                       std::chrono::steady_clock::time_point last_sync,
                       std::chrono::nanoseconds fsync_interval,
                       std::chrono::microseconds idle_wait) {
  constexpr size_t kChunk = 64;
  Submission chunk[kChunk];
  auto take = [&](std::chrono::microseconds wait) {
    size_t n = queue.wait_dequeue_bulk_timed(chunk, kChunk, wait);
    for (size_t i = 0; i < n; ++i) batch.push_back(std::move(chunk[i]));
    return n;
  };
  take(idle_wait);
  if (durability == Durability::kInterval && !batch.empty()) {
    auto due = last_sync + fsync_interval;
    for (auto now = std::chrono::steady_clock::now();
         now < due && batch.size() < kMaxGroupSubmissions; now = std::chrono::steady_clock::now()) {
      take(std::chrono::duration_cast<std::chrono::microseconds>(due - now));
    }
  }
  while (batch.size() < kMaxGroupSubmissions && take(std::chrono::microseconds(0)) > 0) {
  }
}

}  // namespace sluice::storage
