// Gathering a shard writer's next group commit from its submission queue, shared by the log and
// metrics engines: everything queued now, and under Durability::kInterval whatever else arrives
// until the next fsync is due, so that one fsync acknowledges many requests.
#pragma once

#include <concurrentqueue/blockingconcurrentqueue.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "base/status.h"
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

// A shard writer's loop: gather a group, commit its writes (`commit(std::vector<Submission>&)`),
// give the engine its chance to seal (`maybe_seal(bool force_all)`, forced by a SealAll control
// submission, which is answered after it), until `stopping` and the queue is empty; then one
// last forced seal when `seal_on_stop`. Submissions have `done` and `seal_all`; one without
// `done` only wakes the writer.
template <typename Submission, typename Commit, typename MaybeSeal>
void RunShardWriter(moodycamel::BlockingConcurrentQueue<Submission>& queue,
                    const std::atomic<bool>& stopping, Durability durability,
                    const std::chrono::steady_clock::time_point& last_sync,
                    std::chrono::nanoseconds fsync_interval, bool seal_on_stop, Commit commit,
                    MaybeSeal maybe_seal) {
  constexpr auto kIdleWait = std::chrono::milliseconds(100);
  std::vector<Submission> batch;
  while (true) {
    batch.clear();
    GatherGroupCommit(queue, batch, durability, last_sync, fsync_interval, kIdleWait);
    std::vector<Submission> control;
    std::vector<Submission> writes;
    for (Submission& s : batch) {
      if (s.seal_all) {
        control.push_back(std::move(s));
      } else if (s.done) {
        writes.push_back(std::move(s));
      }
    }
    if (!writes.empty()) commit(writes);
    maybe_seal(!control.empty());
    for (Submission& s : control) s.done(Status::Ok());
    if (stopping.load() && queue.size_approx() == 0) break;
  }
  if (seal_on_stop) maybe_seal(true);
}

}  // namespace sluice::storage
