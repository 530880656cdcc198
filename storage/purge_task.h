// A purge pass as a shard writer runs it: one stream or series at a time, in slices between group
// commits (ShardWriterThread::RunSliced), so that ingest waits for one slice at most, never for
// the whole pass. Shared by the log and metrics engines.
#pragma once

#include <algorithm>
#include <cstdint>
#include <future>
#include <memory>
#include <vector>

#include "base/result.h"
#include "storage/deletion.h"
#include "storage/group_commit.h"

namespace sluice::storage {

// The time range of what a purge leaves of a stream or series.
struct Survivors {
  bool any = false;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  void Add(int64_t lo, int64_t hi) {
    min_ts = any ? std::min(min_ts, lo) : lo;
    max_ts = any ? std::max(max_ts, hi) : hi;
    any = true;
  }
};

// Calls `purge_one(id, &stats)` for each of `ids` on the writer thread, which returns whether it
// had work to do (Result<bool>): a slice handles up to 4096 ids with nothing to do, or 16 with.
// Blocks until the pass is done or the first error.
template <typename Submission, typename Id, typename PurgeOne>
Result<PurgeStats> RunPurge(ShardWriterThread<Submission>& writer, std::vector<Id> ids,
                            PurgeOne purge_one) {
  constexpr int kSliceBudget = 4096;
  constexpr int kCostOfWork = 256;
  struct Task {
    std::vector<Id> ids;
    size_t next = 0;
    PurgeStats stats;
    Status status;
    std::promise<void> finished;
  };
  auto task = std::make_shared<Task>();
  task->ids = std::move(ids);
  std::future<void> finished = task->finished.get_future();
  writer.RunSliced([task, &purge_one] {
    for (int budget = kSliceBudget; budget > 0 && task->next < task->ids.size();) {
      Result<bool> worked = purge_one(task->ids[task->next++], &task->stats);
      if (!worked.ok()) {
        task->status = worked.status();
        task->next = task->ids.size();
        break;
      }
      budget -= *worked ? kCostOfWork : 1;
    }
    if (task->next < task->ids.size()) return false;
    task->finished.set_value();
    return true;
  });
  finished.wait();
  if (!task->status.ok()) return task->status;
  return task->stats;
}

}  // namespace sluice::storage
