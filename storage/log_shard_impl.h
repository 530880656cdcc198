// Internals of LogShard shared by its write path (log_shard.cc) and read path (log_shard_scan.cc).
// Not part of the storage library's public surface.
#pragma once

#include <concurrentqueue/blockingconcurrentqueue.h>

#include <deque>
#include <future>
#include <unordered_map>

#include "storage/group_commit.h"
#include "storage/log_block.h"
#include "storage/log_shard.h"

namespace sluice::storage {

struct LogShard::Submission {
  std::string record;
  Done done;
  bool seal_all = false;  // a control message from SealAll()
  // A slice of a background task (Purge): true when the task is done.
  std::function<bool()> step;
};

struct LogShard::Impl {
  Impl(const Shard& s, const LogShardOptions& o, LogMetrics* m, const Clock& c)
      : shard(s), options(o), metrics(m), clock(c), encoder(o.zstd_level) {}

  // --- write path (writer thread) -------------------------------------------------------------
  void WriterLoop();
  void Commit(std::vector<Submission>& batch);
  void MaybeSeal(bool force_all);
  Status SealStreams(const std::vector<Stream*>& streams);
  void AppendToHead(Stream& stream, uint64_t seq, int64_t ts, std::string_view line,
                    std::string_view metadata);
  // Deletes what `intervals` name of stream `s` (Purge), dropping the stream when nothing is
  // left; `s` must not be used after that.
  Status PurgeStream(Stream& s, const std::vector<DeletionInterval>& intervals, PurgeStats* stats);
  // Appends the record's entries that are not sealed yet; returns how many.
  Result<size_t> ReplayRecord(uint64_t seq, std::string_view record);
  Stream* ResolveStream(std::string_view tenant, Labels labels, rocksdb::WriteBatch* batch,
                        std::vector<Stream*>* created);
  int64_t SteadyNanos() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               clock.SteadyNow().time_since_epoch())
        .count();
  }

  const Shard shard;
  const LogShardOptions options;
  LogMetrics* metrics;
  const Clock& clock;

  ShardWriterThread<Submission> writer;

  // Guards `streams` (the registry and every head) against readers. Only the writer thread
  // mutates, so it reads without the lock and takes it exclusively to change things.
  mutable std::shared_mutex mu;
  StreamRegistry streams;

  // Writer-thread state.
  BlockEncoder encoder;
  uint64_t next_wal_seq = 0;
  uint64_t next_block_seq = 0;
  std::unordered_map<uint64_t, uint32_t> wal_remaining;  // record seq -> unsealed entries
  uint64_t head_bytes = 0;
  std::vector<Stream*> full_heads;  // reached block_target_bytes since the last seal
  std::chrono::steady_clock::time_point last_sync{};
  std::chrono::steady_clock::time_point last_age_check{};
};

// Encoded value of a log_streams record: tenant, labels, time range, WAL floor.
std::string EncodeStreamRecord(const Stream& stream);
bool DecodeStreamRecord(std::string_view value, Stream* stream);

// A log_block_meta record: what readers learn about a block without reading it. The block's
// min_ts is in the key (storage/keys.h).
struct BlockMeta {
  uint64_t count = 0;
  int64_t max_ts = 0;
  // Absent in a record that ends after max_ts (the decoder has always accepted those); a reader
  // that needs them then decodes the block.
  bool has_sizes = false;
  uint64_t line_bytes = 0;
  uint64_t stored_bytes = 0;
};

// Encoded value of a log_block_meta record: varint count, zigzag max_ts, line bytes, stored bytes.
std::string EncodeBlockMeta(const BlockHeader& header, uint64_t stored_bytes);
bool DecodeBlockMeta(std::string_view value, BlockMeta* meta);

// A block as its meta describes it.
struct BlockRef {
  std::string key;
  int64_t min_ts;
  BlockMeta meta;
};

// The blocks of stream `id` that may hold entries in [start, end), in key order. Blocks are keyed
// by (stream, min_ts): every block starting before `end` is a candidate, and its meta says
// whether it reaches `start`.
Status ListBlocks(const Shard& shard, const rocksdb::ReadOptions& read, uint64_t id, int64_t start,
                  int64_t end, std::vector<BlockRef>* blocks);
Result<DecodedBlock> ReadBlock(const Shard& shard, const rocksdb::ReadOptions& read,
                               const std::string& key);

}  // namespace sluice::storage
