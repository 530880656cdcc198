// The metrics engine's own metrics, shared by every shard.
//
//   sluice_metric_samples_written_total    samples made durable in a shard's WAL
//   sluice_metric_wal_commits_total        WAL write batches
//   sluice_metric_wal_failures_total       failed WAL writes (their requests were refused)
//   sluice_metric_chunks_sealed_total      chunks written
//   sluice_metric_chunk_bytes_total        their size before RocksDB's block compression
//   sluice_metric_chunks_merged_total      sealed chunks rewritten to take late samples
//   sluice_metric_chunk_samples_total      samples in them
//   sluice_metric_head_bytes               memory held by unsealed samples
//   sluice_metric_series                   series known
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace sluice::storage {

struct MetricEngineMetrics {
  explicit MetricEngineMetrics(prometheus::Registry& registry);

  prometheus::Counter& samples_written;
  prometheus::Counter& wal_commits;
  prometheus::Counter& wal_failures;
  prometheus::Counter& chunks_sealed;
  prometheus::Counter& chunk_bytes;
  prometheus::Counter& chunk_samples;
  prometheus::Counter& chunks_merged;
  prometheus::Gauge& head_bytes;
  prometheus::Gauge& series;
};

}  // namespace sluice::storage
