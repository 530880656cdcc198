#include "storage/metric_metrics.h"

namespace sluice::storage {
namespace {

prometheus::Counter& Counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
prometheus::Gauge& Gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

MetricEngineMetrics::MetricEngineMetrics(prometheus::Registry& r)
    : samples_written(Counter(r, "sluice_metric_samples_written_total",
                              "Samples made durable in a shard's write-ahead log.")),
      wal_commits(
          Counter(r, "sluice_metric_wal_commits_total", "Metrics write-ahead log write batches.")),
      wal_failures(Counter(r, "sluice_metric_wal_failures_total",
                           "Failed metrics write-ahead log writes; their requests were refused.")),
      chunks_sealed(Counter(r, "sluice_metric_chunks_sealed_total", "Sample chunks written.")),
      chunk_bytes(Counter(r, "sluice_metric_chunk_bytes_total",
                          "Bytes of the sample chunks written, before RocksDB's compression.")),
      chunk_samples(
          Counter(r, "sluice_metric_chunk_samples_total", "Samples in the chunks written.")),
      chunks_merged(Counter(r, "sluice_metric_chunks_merged_total",
                            "Sealed chunks rewritten to merge in late (out-of-order) samples.")),
      head_bytes(Gauge(r, "sluice_metric_head_bytes", "Memory held by samples not yet sealed.")),
      series(Gauge(r, "sluice_metric_series", "Metric series known.")) {}

}  // namespace sluice::storage
