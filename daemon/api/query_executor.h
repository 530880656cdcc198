// QueryExecutor: the threads that evaluate queries, apart from the IO threads.
//
// HTTP handlers run on IO threads and must not block, while a PromQL evaluation or a label lookup
// over many series can take seconds. Handlers hand such work to this fixed pool through a bounded
// queue: `threads` tasks run at once, up to `max_queued` more wait, and anything beyond is refused
// at once (the handler answers 503 with Retry-After) so that a burst of dashboard refreshes
// cannot pile up memory or latency without bound.
//
// A tenant may also be held to a number of tasks queued or running at once
// (limits.max_concurrent_queries, per tenant through tenants.overrides): beyond it its next task is
// refused at once with ResourceExhausted, so that one tenant's dashboards cannot take every thread
// and queue slot from the others.
//
// Every submitted task runs exactly once, so the Responder it holds is always answered:
//   - on a worker with `admitted` OK (the normal case);
//   - on the submitting thread, at once, with `admitted` Unavailable when the queue is full or
//     the executor has stopped;
//   - during Stop() with `admitted` Unavailable when it was still queued.
// `cancelled` turns true when Stop() begins; a running task passes it to the engine
// (QueryParams::cancelled) so that evaluations end early.
//
// Metrics (created once at construction):
//   sluice_query_tasks_queued          tasks waiting for a thread
//   sluice_query_tasks_running         tasks being evaluated
//   sluice_query_tasks_rejected_total  tasks refused because the queue was full
//   sluice_query_queue_wait_seconds    time from submission to the start of evaluation
//
// Thread-safety: Submit from any thread; Stop from any thread but a worker.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice::daemon {

class QueryTask {
 public:
  virtual ~QueryTask() = default;
  virtual void Run(const Status& admitted, const std::atomic<bool>& cancelled) = 0;
};

// A QueryTask from a callable `void(const Status&, const std::atomic<bool>&)`, which may be
// move-only (it usually owns a Responder).
template <typename F>
std::unique_ptr<QueryTask> MakeQueryTask(F f) {
  class Task final : public QueryTask {
   public:
    explicit Task(F f) : f_(std::move(f)) {}
    void Run(const Status& admitted, const std::atomic<bool>& cancelled) override {
      f_(admitted, cancelled);
    }

   private:
    F f_;
  };
  return std::make_unique<Task>(std::move(f));
}

struct QueryExecutorOptions {
  int threads = 2;
  size_t max_queued = 256;
};

class QueryExecutor {
 public:
  QueryExecutor(QueryExecutorOptions options, prometheus::Registry& registry);
  ~QueryExecutor();  // Stop()
  QueryExecutor(const QueryExecutor&) = delete;
  QueryExecutor& operator=(const QueryExecutor&) = delete;

  // `tenant` "" is never limited.
  void Submit(std::unique_ptr<QueryTask> task, const std::string& tenant = "");

  // Tasks a tenant may have queued or running at once: `overrides` by name, else `default_limit`;
  // 0 means no limit. Applies to submissions from now on (reload).
  void SetTenantLimits(int default_limit, std::unordered_map<std::string, int> overrides);

  // Cancels running tasks, runs queued ones as refused, and joins the threads. Idempotent.
  void Stop();

 private:
  struct Queued {
    std::unique_ptr<QueryTask> task;
    std::chrono::steady_clock::time_point submitted;
    std::string tenant;
  };
  void ReleaseTenant(const std::string& tenant);  // with mu_ held

  void WorkerLoop();

  const QueryExecutorOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;  // guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  // Guarded by mu_: tasks queued or running per tenant, and the limits.
  std::unordered_map<std::string, int> in_flight_;
  int tenant_limit_ = 0;
  std::unordered_map<std::string, int> tenant_limit_overrides_;
  std::atomic<bool> cancelled_{false};
  std::vector<std::thread> workers_;

  prometheus::Gauge& queued_;
  prometheus::Gauge& running_;
  prometheus::Counter& rejected_;
  prometheus::Histogram& queue_wait_;
};

}  // namespace sluice::daemon
