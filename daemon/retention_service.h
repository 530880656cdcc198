// RetentionService: enforces retention in the background. Every storage.retention_interval it
//   1. purges what the RetentionPolicy says has expired, per tenant and log stream;
//   2. when the data dir is over storage.max_disk_bytes, purges the oldest data of every tenant,
//      a slice of the time range at a time, compacting after each, until it fits (within 90% of
//      the cap) or only the newest data is left;
//   3. compacts the block and chunk column families once what was deleted since the last
//      compaction reaches a tenth of the data dir (between those, RocksDB's own compaction and
//      the deletion-triggered one reclaim space).
// Purges run on the shard writer threads in slices, so ingest is never held for a whole pass.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "base/result.h"
#include "daemon/retention_policy.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"
#include "storage/shard_set.h"

namespace sluice::daemon {

struct RetentionOptions {
  std::chrono::nanoseconds interval = std::chrono::minutes(10);
  uint64_t max_disk_bytes = 0;  // 0: no cap
};

// What one pass did.
struct RetentionPass {
  storage::PurgeStats expired;   // past their retention period
  storage::PurgeStats disk_cap;  // the oldest data, for the disk cap
  bool compacted = false;
};

class RetentionService {
 public:
  RetentionService(storage::ShardSet& shards, storage::LogStore& logs,
                   storage::MetricStore& metrics, prometheus::Registry& registry,
                   const Clock& clock = Clock::Real());
  ~RetentionService();
  RetentionService(const RetentionService&) = delete;
  RetentionService& operator=(const RetentionService&) = delete;

  // Starts the background thread: its first pass comes a minute after the start (or one
  // interval, if shorter), then one every interval.
  void Start(RetentionPolicy policy, RetentionOptions options);
  // Takes effect from the next pass (a reload); does not put that pass off.
  void Update(RetentionPolicy policy, RetentionOptions options);
  // Waits for a pass under way to end. Idempotent.
  void Stop();

  // One pass now, on the calling thread (tests, and the background thread).
  Result<RetentionPass> RunOnce();

 private:
  Status EnforceDiskCap(uint64_t cap, RetentionPass* pass);
  void Loop();

  storage::ShardSet& shards_;
  storage::LogStore& logs_;
  storage::MetricStore& metrics_;
  const Clock& clock_;

  std::mutex mu_;  // guards what follows, up to run_mu_
  std::condition_variable wake_;
  std::shared_ptr<const RetentionPolicy> policy_ = std::make_shared<RetentionPolicy>();
  RetentionOptions options_;
  bool stopping_ = false;
  std::thread thread_;

  std::mutex run_mu_;  // one pass at a time; guards deleted_since_compaction_
  uint64_t deleted_since_compaction_ = 0;

  prometheus::Counter& runs_;
  prometheus::Counter& failures_;
  prometheus::Counter& compactions_;
  prometheus::Family<prometheus::Counter>& deleted_entries_;
  prometheus::Family<prometheus::Counter>& deleted_bytes_;
  prometheus::Gauge& last_success_;
};

}  // namespace sluice::daemon
