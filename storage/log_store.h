// LogStore: the log engine over all shards. Routes a batch's streams to shards by fingerprint,
// and answers reads across shards. The C++ read interface the query engine builds on.
//
// Thread-safety: every method may be called from any thread once Start() returned.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/log_batch.h"
#include "storage/log_shard.h"

namespace sluice::storage {

class LogStore {
 public:
  LogStore(const ShardSet& shards, const LogShardOptions& options, prometheus::Registry& registry,
           const Clock& clock = Clock::Real());
  ~LogStore();

  Status Recover();
  void Start();
  // Writes what is queued, seals every head, stops the writers. Idempotent.
  void Stop();

  // Encodes the batch's entries per shard and queues them; `done` runs once every shard has made
  // its part durable (OK), or with the first error. It runs on a shard writer thread, or at once
  // for an empty batch.
  void Write(const LogBatch& batch, std::function<void(const Status&)> done);

  // Streams of `tenant` matching every matcher with data overlapping [start, end), from all shards.
  std::vector<StreamInfo> SelectStreams(std::string_view tenant, const LabelMatchers& matchers,
                                        int64_t start, int64_t end) const;

  // See LogShard::Scan.
  Status Scan(const StreamInfo& stream, int64_t start, int64_t end, Direction direction,
              const EntryVisitor& visit) const;

  // See LogShard::StreamStats: what `stream` holds in [start, end), mostly from block metadata.
  Status StreamStats(const StreamInfo& stream, int64_t start, int64_t end,
                     LogStreamStats* out) const;
  // The same per bucket [bounds[i], bounds[i + 1]), in one pass over the stream's blocks.
  Status StreamStats(const StreamInfo& stream, const std::vector<int64_t>& bounds,
                     std::vector<LogStreamStats>* out) const;

  // For limits: the streams `tenant` has stored in all shards (each shard counted under its own
  // lock, so concurrent writes may change the sum as it is taken), and whether `stream` of a
  // batch of `tenant` is one of them.
  size_t StreamCount(std::string_view tenant) const;
  bool HasStream(std::string_view tenant, const LogStream& stream) const;

  // Sorted, distinct label names (values of `name`) of the streams SelectStreams would return.
  std::vector<std::string> LabelNames(std::string_view tenant, const LabelMatchers& matchers,
                                      int64_t start, int64_t end) const;
  std::vector<std::string> LabelValues(std::string_view tenant, std::string_view name,
                                       const LabelMatchers& matchers, int64_t start,
                                       int64_t end) const;

  // The oldest and newest entry timestamps over all shards (ns); nullopt when there are none.
  std::optional<std::pair<int64_t, int64_t>> TimeRange() const;
  // Hides from Scan what `plan` deletes (empty: nothing), until the next call.
  void SetReadFilter(DeletionPlan plan) { read_filter_.Set(std::move(plan)); }
  // See LogShard::Purge; shard by shard.
  Result<PurgeStats> Purge(const DeletionPlan& plan);

  size_t shard_count() const { return shards_.size(); }
  size_t ShardFor(uint64_t fingerprint) const { return fingerprint % shards_.size(); }
  Status SealAll();
  LogShardStats Stats() const;

 private:
  ReadFilter read_filter_;
  std::unique_ptr<LogMetrics> metrics_;
  std::vector<std::unique_ptr<LogShard>> shards_;
};

}  // namespace sluice::storage
