// The log engine's metrics, declared in one place, shared by every shard.
//
//   sluice_log_entries_written_total         entries made durable in a shard's WAL
//   sluice_log_line_bytes_written_total      their line bytes
//   sluice_log_wal_commits_total             WAL write batches (one fsync each unless fsync: never)
//   sluice_log_wal_commit_seconds            time to write (and sync) one batch
//   sluice_log_wal_failures_total            failed WAL writes (their requests were refused)
//   sluice_log_blocks_sealed_total           blocks written
//   sluice_log_block_bytes_total             their size as stored (compressed)
//   sluice_log_block_line_bytes_total        their line bytes before compression
//   sluice_log_head_bytes                    memory held by unsealed entries
//   sluice_log_streams                       streams known
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace sluice::storage {

struct LogMetrics {
  explicit LogMetrics(prometheus::Registry& registry);

  prometheus::Counter& entries_written;
  prometheus::Counter& line_bytes_written;
  prometheus::Counter& wal_commits;
  prometheus::Histogram& wal_commit_seconds;
  prometheus::Counter& wal_failures;
  prometheus::Counter& blocks_sealed;
  prometheus::Counter& block_bytes;
  prometheus::Counter& block_line_bytes;
  prometheus::Gauge& head_bytes;
  prometheus::Gauge& streams;
};

}  // namespace sluice::storage
