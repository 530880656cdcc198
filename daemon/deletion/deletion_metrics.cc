#include "daemon/deletion/deletion_metrics.h"

namespace sluice::daemon {

DeletionMetrics::DeletionMetrics(prometheus::Registry& r)
    : failures(prometheus::BuildCounter()
                   .Name("sluice_deletion_failures_total")
                   .Help("Deletion processing passes that stopped on an error (retried on the "
                         "next pass).")
                   .Register(r)
                   .Add({})) {
  auto& received = prometheus::BuildCounter()
                       .Name("sluice_delete_requests_received_total")
                       .Help("Delete requests accepted.")
                       .Register(r);
  auto& cancelled = prometheus::BuildCounter()
                        .Name("sluice_delete_requests_cancelled_total")
                        .Help("Delete requests cancelled within their cancel period.")
                        .Register(r);
  auto& processed = prometheus::BuildCounter()
                        .Name("sluice_delete_requests_processed_total")
                        .Help("Delete requests whose data was purged from storage.")
                        .Register(r);
  auto& pending = prometheus::BuildGauge()
                      .Name("sluice_delete_requests_pending")
                      .Help(
                          "Delete requests accepted and not purged yet; their data is hidden "
                          "from reads.")
                      .Register(r);
  auto& entries = prometheus::BuildCounter()
                      .Name("sluice_deleted_entries_total")
                      .Help("Log entries or samples removed from storage by delete requests.")
                      .Register(r);
  auto& bytes = prometheus::BuildCounter()
                    .Name("sluice_deleted_bytes_total")
                    .Help(
                        "Stored bytes delete requests freed: blocks and chunks removed, and what "
                        "rewriting the others saved.")
                    .Register(r);
  for (auto [per, kind] : {std::pair{&logs, "logs"}, std::pair{&metrics, "metrics"}}) {
    per->received = &received.Add({{"kind", kind}});
    per->cancelled = &cancelled.Add({{"kind", kind}});
    per->processed = &processed.Add({{"kind", kind}});
    per->pending = &pending.Add({{"kind", kind}});
    per->entries_deleted = &entries.Add({{"kind", kind}});
    per->bytes_deleted = &bytes.Add({{"kind", kind}});
  }
}

}  // namespace sluice::daemon
