// DeletionService: the life of delete requests (issue 8), as Loki's compactor runs its
// "filter-and-delete" mode, for logs and for metrics:
//
//   accepted (Add)      stored durably, and hidden from every read at once (the stores' read
//                       filters are rebuilt from the requests not yet processed)
//   cancelled (Cancel)  logs only, while within deletion.cancel_period of its creation: removed,
//                       and its data is visible again
//   processed           once past the cancel period (metrics: at once, as Prometheus has none),
//                       a processing pass purges the data from storage (LogStore::Purge,
//                       MetricStore::Purge) and marks the request processed, durably
//
// Processing passes run on the service's own thread every deletion.processing_interval, when
// asked (ProcessSoon: Prometheus' clean_tombstones), or from whoever calls ProcessDue (a
// retention pass may). Passes do not overlap; each purges request by request, oldest first, so
// that a request is marked processed as soon as its data is gone and a failure leaves the rest for
// the next pass. A restart during a pass repeats the purge of the request it was on, which finds
// nothing left to delete or deletes the rest.
//
// Threads: every public method may be called from any thread. Add and Cancel write synced to
// RocksDB (a few milliseconds); ProcessDue blocks for the purges. Stop before the stores stop.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "alerting/kv_store.h"
#include "base/clock.h"
#include "base/result.h"
#include "daemon/deletion/delete_request_store.h"
#include "daemon/deletion/deletion_metrics.h"
#include "daemon/deletion/deletion_plan.h"

namespace sluice::storage {
class LogStore;
class MetricStore;
}  // namespace sluice::storage

namespace sluice::daemon {

struct DeletionServiceOptions {
  // How long a log delete request may be cancelled, and is kept from being purged (Loki's
  // delete_request_cancel_period).
  std::chrono::nanoseconds cancel_period = std::chrono::hours(24);
  // How often the processing thread purges what is due.
  std::chrono::nanoseconds processing_interval = std::chrono::minutes(5);
  const Clock* clock = &Clock::Real();
};

// Go's time.Duration.String(), as Loki's messages print durations: "24h0m0s", "1m30s", "1.5s",
// "250ms", "0s".
std::string GoDurationString(std::chrono::nanoseconds d);

class DeletionService {
 public:
  // Loads the stored requests, hides the data of those not processed from both stores' reads,
  // and starts the processing thread. `logs` and `metrics` must outlive the service.
  static Result<std::unique_ptr<DeletionService>> Start(DeletionServiceOptions options,
                                                        std::unique_ptr<alerting::KvStore> kv,
                                                        storage::LogStore* logs,
                                                        storage::MetricStore* metrics,
                                                        prometheus::Registry& registry);
  ~DeletionService();  // Stop()
  DeletionService(const DeletionService&) = delete;
  DeletionService& operator=(const DeletionService&) = delete;

  // Accepts `request` (tenant, kind, queries, start_ms, end_ms set): gives it an ID and its
  // creation time, stores it and hides its data. InvalidArgument when a query does not compile
  // (deletion_plan.h's texts); the store's error when it cannot be written (nothing changed).
  Result<DeleteRequest> Add(DeleteRequest request);

  // The tenant's requests of `kind`, processed ones included, oldest first.
  std::vector<DeleteRequest> List(std::string_view tenant, DeleteKind kind) const;

  // Cancels a request of `kind` not processed yet, within the cancel period of its creation, with
  // Loki's answers otherwise: NotFound "could not find delete request with given id",
  // FailedPrecondition "deletion of request which is in process or already processed is not
  // allowed" or "deletion of request past the deadline of 24h0m0s since its creation is not
  // allowed".
  Status Cancel(std::string_view tenant, std::string_view request_id,
                DeleteKind kind = DeleteKind::kLogs);

  // Purges the requests due now (logs: past their cancel period; metrics: all) and marks them
  // processed. Blocks until done, or until the first error (the rest waits for the next pass);
  // Unavailable once Stop() began.
  Status ProcessDue();

  // Runs a pass on the processing thread now, then calls `done` there with its outcome; with
  // Unavailable, from Stop(), when the service stops first.
  void ProcessSoon(std::function<void(const Status&)> done);

  // Ends the processing thread (a pass in progress stops after the request it is on). Idempotent.
  void Stop();

 private:
  struct Entry {
    DeleteRequest request;
    CompiledDelete compiled;
    bool compiled_ok = true;  // false: a stored query this version cannot compile (logged)
    bool in_process = false;  // a pass is purging it
  };
  struct Due {
    std::string key;
    DeleteRequest request;
    CompiledDelete compiled;
  };

  DeletionService(DeletionServiceOptions options, std::unique_ptr<alerting::KvStore> kv,
                  storage::LogStore* logs, storage::MetricStore* metrics,
                  prometheus::Registry& registry);
  int64_t NowMs() const;
  // Sets both read filters from the requests not processed; with mu_ held.
  void RefreshReadFilters();
  Status Process(const Due& due);
  void ThreadLoop();

  const DeletionServiceOptions options_;
  storage::LogStore* const logs_;
  storage::MetricStore* const metrics_;
  DeletionMetrics stats_;

  mutable std::mutex mu_;  // guards store_ writes, entries_ and rng_
  DeleteRequestStore store_;
  std::map<std::string, Entry> entries_;  // by tenant 0xff request ID
  std::mt19937_64 rng_;

  std::mutex process_mu_;  // one pass at a time
  std::atomic<bool> stopping_{false};

  std::mutex thread_mu_;
  std::condition_variable wake_;
  std::vector<std::function<void(const Status&)>> waiters_;  // guarded by thread_mu_
  bool stopped_ = false;                                     // guarded by thread_mu_
  std::thread thread_;
};

}  // namespace sluice::daemon
