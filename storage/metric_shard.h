// MetricShard: the metrics engine of one RocksDB shard, built like LogShard: a single writer
// thread owns all writes.
//
//   Submit(part) --queue--> writer: resolves each series to its id (creating new ones in
//   metric_series), writes one compact WAL record per submission (series ids and samples) into
//   metric_wal in one RocksDB WriteBatch per group commit, synced per the durability policy;
//   then appends the samples to their series' heads and runs each `done`.
//
// Heads (XorChunk + out-of-order samples) are sealed into chunks (metric_chunks) when they hold
// chunk_max_samples, when their oldest sample arrived chunk_max_age ago, or when all heads pass
// head_memory_limit. A sealed series' WAL floor moves past its records, and WAL records older
// than every head are deleted with one range delete.
//
// Durability: `done(OK)` means the samples are in RocksDB's WAL. A restart replays metric_wal.
// Readers see a consistent view: heads are copied under the shared lock together with a RocksDB
// snapshot; sealing swaps heads for chunks under the exclusive lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "storage/deletion.h"
#include "storage/durability.h"
#include "storage/label_matcher.h"
#include "storage/metric_batch.h"
#include "storage/metric_metrics.h"
#include "storage/shard_set.h"

namespace sluice::storage {

struct MetricShardOptions {
  Durability durability = Durability::kInterval;
  std::chrono::nanoseconds fsync_interval = std::chrono::milliseconds(10);
  uint32_t chunk_max_samples = 120;
  std::chrono::nanoseconds chunk_max_age = std::chrono::hours(1);
  uint64_t head_memory_limit = 256 << 20;
  bool seal_on_stop = true;
  // Samples reads must not see (delete requests not purged yet); owned by the MetricStore.
  const ReadFilter* read_filter = nullptr;
};

// One shard's part of a MetricBatch: its series (as series keys, metric_batch.h) and
// their samples, grouped by series.
struct MetricShardPart {
  struct Series {
    uint64_t fingerprint = 0;
    uint32_t labels_offset = 0;  // into `labels`
    uint32_t labels_size = 0;
    uint32_t first_sample = 0;  // into `samples`
    uint32_t sample_count = 0;
  };
  std::string tenant;
  std::string labels;
  std::vector<Series> series;
  std::vector<Sample> samples;
  std::vector<MetricMetadata> metadata;
};

// A series as readers see it: a copy, safe to keep.
struct SeriesInfo {
  size_t shard = 0;
  uint32_t id = 0;
  Labels labels;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
};

struct MetricShardStats {
  size_t series = 0;
  uint64_t head_samples = 0;
  uint64_t head_bytes = 0;
};

class MetricShard {
 public:
  using Done = std::function<void(const Status&)>;

  MetricShard(const Shard& shard, const MetricShardOptions& options, MetricEngineMetrics* metrics,
              const Clock& clock = Clock::Real());
  ~MetricShard();
  MetricShard(const MetricShard&) = delete;
  MetricShard& operator=(const MetricShard&) = delete;

  // Loads series and metadata, replays the WAL into heads. Call once, before Start.
  Status Recover();
  void Start();
  // Writes what is queued, seals every head (seal_on_stop), stops the writer. Idempotent.
  void Stop();

  // Thread-safe, never blocks. `done` runs on the writer thread.
  void Submit(MetricShardPart part, Done done);

  // Series of `tenant` matching every matcher with samples in [start, end] (inclusive).
  std::vector<SeriesInfo> Select(std::string_view tenant, const LabelMatchers& matchers,
                                 int64_t start, int64_t end) const;
  // Appends the samples of series `id` with start <= ts <= end to `out`, in time order, one per
  // timestamp (the last written wins), sealed and unsealed alike, stale markers included. A
  // series a purge forgot has none.
  Status Read(uint32_t id, int64_t start, int64_t end, std::vector<Sample>* out) const;

  // The tenant's metadata of the families this shard holds (every family once).
  std::vector<MetricMetadata> Metadata(std::string_view tenant) const;

  MetricShardStats Stats() const;
  // The oldest and newest sample timestamp of every series here (ms); nullopt when none.
  std::optional<std::pair<int64_t, int64_t>> TimeRange() const;

  // Deletes what `plan` names, on the writer thread, a slice of series between group commits so
  // ingest goes on; blocks until the pass is done. Heads holding deleted samples are sealed
  // first; chunks wholly deleted are removed (runs of them with one range delete), chunks
  // straddling a bound rewritten. A series left without samples is forgotten once no WAL record
  // names it (until then it matches no time range).
  Result<PurgeStats> Purge(const DeletionPlan& plan);
  size_t index() const { return shard_.index; }

  // For limits, under the shared lock: the series `tenant` has in this shard, and whether it has
  // the one with this fingerprint and series key.
  size_t TenantSeriesCount(std::string_view tenant) const;
  bool HasSeries(std::string_view tenant, uint64_t fingerprint, std::string_view series_key) const;

  // Seals every head now. Runs on the writer thread when started; blocks until done.
  Status SealAll();

 private:
  struct Submission;
  struct Impl;
  const Shard shard_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::storage
