// LogShard: the log engine of one RocksDB shard. A single writer thread owns all writes:
//
//   Submit(record) --queue--> writer: one RocksDB WriteBatch for everything queued (the record in
//   log_wal, new streams in log_streams), synced per the durability policy, then the entries are
//   appended to their streams' heads and each submitter's `done` runs. Heads are sealed into
//   compressed blocks (log_blocks + log_block_meta) when they reach block_target_bytes, when
//   their oldest entry is block_max_age old, or when all heads together pass head_memory_limit;
//   the WAL records whose entries are all sealed are deleted in the same batch as the blocks.
//
// Durability: `done(OK)` means the record is in RocksDB's WAL (written to the OS; and fsynced
// unless the policy is kNever). A restart replays log_wal into the heads.
//
// Readers (any thread) see a consistent view: under the shard's shared lock they copy the heads
// they need and take a RocksDB snapshot; sealing swaps heads for blocks under the exclusive lock,
// so an entry is seen exactly once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "storage/deletion.h"
#include "storage/durability.h"
#include "storage/label_matcher.h"
#include "storage/log_metrics.h"
#include "storage/shard_set.h"
#include "storage/stream_registry.h"

namespace sluice::storage {

struct LogShardOptions {
  Durability durability = Durability::kInterval;
  std::chrono::nanoseconds fsync_interval = std::chrono::milliseconds(10);
  uint64_t block_target_bytes = 1 << 20;
  std::chrono::nanoseconds block_max_age = std::chrono::minutes(1);
  uint64_t head_memory_limit = 256 << 20;
  int zstd_level = 3;
  // Seal every head at Stop(), so the next start replays no WAL. Off: faster stop, slower start.
  bool seal_on_stop = true;
  // Entries reads must not see (delete requests not purged yet); owned by the LogStore.
  const ReadFilter* read_filter = nullptr;
};

enum class Direction { kForward, kBackward };

// A stream as readers see it: a copy, safe to keep.
struct StreamInfo {
  size_t shard = 0;
  uint64_t id = 0;
  Labels labels;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
};

// Called for each entry a scan finds; return false to stop the scan.
using EntryVisitor =
    std::function<bool(int64_t timestamp_ns, std::string_view line, std::string_view metadata)>;

// What a stream holds in a time range, as LogShard::StreamStats counts it.
struct LogStreamStats {
  uint64_t blocks = 0;  // sealed blocks with entries in the range, plus 1 if the head has some
  uint64_t entries = 0;
  uint64_t line_bytes = 0;  // sum of the entries' line lengths
  friend bool operator==(const LogStreamStats&, const LogStreamStats&) = default;
};

struct LogShardStats {
  size_t streams = 0;
  uint64_t head_bytes = 0;
  uint64_t head_entries = 0;
  uint64_t pending_wal_records = 0;
};

class LogShard {
 public:
  using Done = std::function<void(const Status&)>;

  LogShard(const Shard& shard, const LogShardOptions& options, LogMetrics* metrics,
           const Clock& clock = Clock::Real());
  ~LogShard();
  LogShard(const LogShard&) = delete;
  LogShard& operator=(const LogShard&) = delete;

  // Loads the streams and replays the WAL into heads. Call once, before Start.
  Status Recover();
  void Start();
  // Writes what is queued, seals every head, and stops the writer thread. Idempotent.
  void Stop();

  // Queues an encoded WAL record (storage/wal_record.h). Thread-safe, never blocks; memory is
  // bounded by the caller's admission control. `done` runs on the writer thread.
  void Submit(std::string record, Done done);

  // Streams of `tenant` matching every matcher with data overlapping [start, end).
  std::vector<StreamInfo> SelectStreams(std::string_view tenant, const LabelMatchers& matchers,
                                        int64_t start, int64_t end) const;

  // Visits the entries of stream `id` with start <= ts < end in time order (ties in arrival
  // order), sealed and unsealed alike. A stream that does not exist (any more: a purge drops
  // streams left empty) has no entries.
  Status Scan(uint64_t id, int64_t start, int64_t end, Direction direction,
              const EntryVisitor& visit) const;

  // Counts the entries of stream `id` with start <= ts < end, seeing what Scan would see. Blocks
  // wholly inside the range are counted from their metadata record alone; only blocks that
  // straddle a bound are read and decoded, so the cost grows with the number of blocks, not
  // entries. A stream that does not exist has none.
  Status StreamStats(uint64_t id, int64_t start, int64_t end, LogStreamStats* out) const;
  // The same for consecutive buckets [bounds[i], bounds[i + 1]) in one pass and one consistent
  // view: `out` gets bounds.size() - 1 elements (none for fewer than two bounds). A block that
  // spans buckets is decoded once and counts in each bucket it has entries in. `bounds` must not
  // decrease (InvalidArgument otherwise); equal bounds make empty buckets.
  Status StreamStats(uint64_t id, const std::vector<int64_t>& bounds,
                     std::vector<LogStreamStats>* out) const;

  LogShardStats Stats() const;
  size_t index() const { return shard_.index; }
  // The oldest and newest timestamp of every stream here; nullopt when none has data.
  std::optional<std::pair<int64_t, int64_t>> TimeRange() const;

  // Deletes what `plan` names, on the writer thread, a slice of streams between group commits
  // so ingest goes on; blocks until the pass is done. Heads holding deleted entries are sealed
  // first; blocks wholly deleted are removed, blocks straddling a bound rewritten without the
  // deleted entries; streams left without data are dropped. Readers scanning meanwhile see each
  // entry or not, never a torn block.
  Result<PurgeStats> Purge(const DeletionPlan& plan);

  // For limits, under the shared lock: the streams `tenant` has in this shard, and whether it has
  // the one with `labels` (canonical).
  size_t TenantStreamCount(std::string_view tenant) const;
  bool HasStream(std::string_view tenant, const Labels& labels) const;

  // Seals every head now (tests, shutdown). Runs on the writer thread; blocks until done.
  Status SealAll();

 private:
  struct Submission;
  struct Impl;
  const Shard shard_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::storage
