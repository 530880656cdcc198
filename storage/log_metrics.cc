#include "storage/log_metrics.h"

namespace sluice::storage {
namespace {

prometheus::Counter& Counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
prometheus::Gauge& Gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

LogMetrics::LogMetrics(prometheus::Registry& r)
    : entries_written(Counter(r, "sluice_log_entries_written_total",
                              "Log entries made durable in a shard's write-ahead log.")),
      line_bytes_written(Counter(r, "sluice_log_line_bytes_written_total",
                                 "Line bytes of the log entries made durable.")),
      wal_commits(Counter(r, "sluice_log_wal_commits_total", "Write-ahead log write batches.")),
      wal_commit_seconds(
          prometheus::BuildHistogram()
              .Name("sluice_log_wal_commit_seconds")
              .Help("Time to write, and sync, one write-ahead log batch.")
              .Register(r)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001,
                                                               0.0025, 0.005, 0.01, 0.025, 0.05,
                                                               0.1, 0.25, 1})),
      wal_failures(Counter(r, "sluice_log_wal_failures_total",
                           "Failed write-ahead log writes; their requests were refused.")),
      blocks_sealed(Counter(r, "sluice_log_blocks_sealed_total", "Log blocks written.")),
      block_bytes(Counter(r, "sluice_log_block_bytes_total",
                          "Bytes of the log blocks written, as stored (compressed).")),
      block_line_bytes(Counter(r, "sluice_log_block_line_bytes_total",
                               "Line bytes of the log blocks written, before compression.")),
      head_bytes(Gauge(r, "sluice_log_head_bytes", "Memory held by log entries not yet sealed.")),
      streams(Gauge(r, "sluice_log_streams", "Log streams known.")) {}

}  // namespace sluice::storage
