// The deletion service's metrics, declared in one place (kind="logs" or "metrics"):
//
//   sluice_delete_requests_received_total{kind}   delete requests accepted
//   sluice_delete_requests_cancelled_total{kind}  ... cancelled within the cancel period
//   sluice_delete_requests_processed_total{kind}  ... purged from storage
//   sluice_delete_requests_pending{kind}          ... accepted and not purged yet (hidden from
//                                                 reads)
//   sluice_deleted_entries_total{kind}            log entries or samples the purges removed
//   sluice_deleted_bytes_total{kind}              stored bytes they freed (blocks and chunks
//                                                 removed, and what rewriting others saved)
//   sluice_deletion_failures_total                processing passes that stopped on an error
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "daemon/deletion/delete_request_store.h"

namespace sluice::daemon {

struct DeletionMetrics {
  struct PerKind {
    prometheus::Counter* received = nullptr;
    prometheus::Counter* cancelled = nullptr;
    prometheus::Counter* processed = nullptr;
    prometheus::Gauge* pending = nullptr;
    prometheus::Counter* entries_deleted = nullptr;
    prometheus::Counter* bytes_deleted = nullptr;
  };

  explicit DeletionMetrics(prometheus::Registry& registry);

  PerKind& of(DeleteKind kind) { return kind == DeleteKind::kLogs ? logs : metrics; }

  PerKind logs;
  PerKind metrics;
  prometheus::Counter& failures;
};

}  // namespace sluice::daemon
