// MetricStore: the metrics engine over all shards. Routes a batch's series to shards by
// fingerprint (metadata by family name), and answers reads across shards: the C++ read interface
// the PromQL engine and the export build on.
//
// Thread-safety: every method may be called from any thread once Start() returned.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/metric_batch.h"
#include "storage/metric_shard.h"

namespace sluice::storage {

class MetricStore {
 public:
  MetricStore(const ShardSet& shards, const MetricShardOptions& options,
              prometheus::Registry& registry, const Clock& clock = Clock::Real());
  ~MetricStore();

  Status Recover();
  void Start();
  // Writes what is queued, seals every head (seal_on_stop), stops the writers. Idempotent.
  void Stop();

  // Splits the batch per shard and queues the parts; `done` runs once every shard has made its
  // part durable (OK) or with the first error: on a shard writer thread, or at once for an empty
  // batch.
  void Write(const MetricBatch& batch, std::function<void(const Status&)> done);

  // Series of `tenant` matching every matcher with samples in [start, end] (ms, inclusive).
  std::vector<SeriesInfo> Select(std::string_view tenant, const LabelMatchers& matchers,
                                 int64_t start, int64_t end) const;
  // Samples of `series` with start <= ts <= end, in time order, one per timestamp (the last
  // written wins), stale markers included. Appended to `out`.
  Status Read(const SeriesInfo& series, int64_t start, int64_t end, std::vector<Sample>* out) const;

  // For limits: the series `tenant` has stored in all shards (each shard counted under its own
  // lock, so concurrent writes may change the sum as it is taken), and whether series `s` of
  // `batch` is one of them.
  size_t SeriesCount(std::string_view tenant) const;
  bool HasSeries(const MetricBatch& batch, uint32_t s) const;

  // Sorted, distinct label names (values of `name`) of the series Select would return.
  std::vector<std::string> LabelNames(std::string_view tenant, const LabelMatchers& matchers,
                                      int64_t start, int64_t end) const;
  std::vector<std::string> LabelValues(std::string_view tenant, std::string_view name,
                                       const LabelMatchers& matchers, int64_t start,
                                       int64_t end) const;
  // The tenant's metric metadata, sorted by family name.
  std::vector<MetricMetadata> Metadata(std::string_view tenant) const;

  // The oldest and newest sample timestamps over all shards (ms); nullopt when there are none.
  std::optional<std::pair<int64_t, int64_t>> TimeRange() const;
  // Hides from Read what `plan` deletes (empty: nothing), until the next call.
  void SetReadFilter(DeletionPlan plan) { read_filter_.Set(std::move(plan)); }
  // See MetricShard::Purge; shard by shard.
  Result<PurgeStats> Purge(const DeletionPlan& plan);

  size_t shard_count() const { return shards_.size(); }
  Status SealAll();
  MetricShardStats Stats() const;

 private:
  ReadFilter read_filter_;
  std::unique_ptr<MetricEngineMetrics> metrics_;
  std::vector<std::unique_ptr<MetricShard>> shards_;
};

}  // namespace sluice::storage
