// Internals of MetricShard shared by its write path (metric_shard.cc) and read path
// (metric_shard_read.cc). Not part of the storage library's public surface.
#pragma once

#include <concurrentqueue/blockingconcurrentqueue.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "storage/group_commit.h"
#include "storage/metric_chunk_merge.h"
#include "storage/metric_shard.h"
#include "storage/series_registry.h"

namespace sluice::storage {

struct MetricShard::Submission {
  MetricShardPart part;
  Done done;
  bool seal_all = false;  // a control message from SealAll()
  // A slice of a background task (Purge): true when the task is done.
  std::function<bool()> step;
};

struct MetricShard::Impl {
  Impl(const Shard& s, const MetricShardOptions& o, MetricEngineMetrics* m, const Clock& c)
      : shard(s), options(o), metrics(m), clock(c) {}

  void WriterLoop();
  void Commit(std::vector<Submission>& batch);
  void AppendSample(MetricSeries& s, uint64_t seq, int64_t ts, double value, int64_t now_ns);
  void MaybeSeal(bool force_all);
  Status Seal(const std::vector<MetricSeries*>& group);
  // The sealed chunks of `s` whose range meets [min_ts, max_ts].
  Status ReadSealedChunks(const MetricSeries& s, int64_t min_ts, int64_t max_ts,
                          std::vector<SealedChunk>* out);
  Status DeleteSealedWal();
  // Deletes what `intervals` name of series `s` (Purge).
  Status PurgeSeries(MetricSeries& s, const std::vector<DeletionInterval>& intervals,
                     PurgeStats* stats);
  Status ReplayRecord(uint64_t seq, std::string_view record);
  int64_t SteadyNanos() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               clock.SteadyNow().time_since_epoch())
        .count();
  }

  const Shard shard;
  const MetricShardOptions options;
  MetricEngineMetrics* metrics;
  const Clock& clock;

  ShardWriterThread<Submission> writer;

  // Guards `series` (registry and heads) and `metadata` against readers; only the writer thread
  // mutates them, so it reads without the lock.
  mutable std::shared_mutex mu;
  SeriesRegistry series;
  std::unordered_map<std::string, MetricMetadata> metadata;  // MetadataKey -> metadata

  // Writer-thread state.
  uint64_t next_wal_seq = 0;
  uint64_t next_chunk_seq = 0;
  uint64_t wal_deleted_below = 0;  // WAL records below this seq are deleted
  uint64_t head_bytes = 0;
  std::vector<MetricSeries*> full_heads;
  std::chrono::steady_clock::time_point last_sync{};
  std::chrono::steady_clock::time_point last_age_check{};
};

// Calls `fn` for each sealed chunk of series `id` whose time range meets [start, end], in key
// order, reading at `snapshot` (nullptr: the latest state). `max_chunk_span` is the series'.
Status ForEachChunk(
    const Shard& shard, const rocksdb::Snapshot* snapshot, uint32_t id, int64_t max_chunk_span,
    int64_t start, int64_t end,
    const std::function<Status(std::string_view key, uint64_t seq, const ChunkHeader& header,
                               std::string_view value)>& fn);

}  // namespace sluice::storage
