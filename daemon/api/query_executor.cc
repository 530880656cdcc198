#include "daemon/api/query_executor.h"

#include <fmt/format.h>

#include <algorithm>

namespace sluice::daemon {

QueryExecutor::QueryExecutor(QueryExecutorOptions options, prometheus::Registry& registry)
    : options_(options),
      queued_(prometheus::BuildGauge()
                  .Name("sluice_query_tasks_queued")
                  .Help("Query API requests waiting for an evaluation thread.")
                  .Register(registry)
                  .Add({})),
      running_(prometheus::BuildGauge()
                   .Name("sluice_query_tasks_running")
                   .Help("Query API requests being evaluated.")
                   .Register(registry)
                   .Add({})),
      rejected_(prometheus::BuildCounter()
                    .Name("sluice_query_tasks_rejected_total")
                    .Help("Query API requests refused at once: query.max_queued requests "
                          "were already waiting, or the tenant was at "
                          "limits.max_concurrent_queries.")
                    .Register(registry)
                    .Add({})),
      queue_wait_(prometheus::BuildHistogram()
                      .Name("sluice_query_queue_wait_seconds")
                      .Help("Time query API requests waited for an evaluation thread.")
                      .Register(registry)
                      .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.001, 0.01, 0.1,
                                                                       0.5, 1, 5, 30})) {
  int threads = std::max(1, options_.threads);
  workers_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

QueryExecutor::~QueryExecutor() { Stop(); }

void QueryExecutor::SetTenantLimits(int default_limit,
                                    std::unordered_map<std::string, int> overrides) {
  std::lock_guard lock(mu_);
  tenant_limit_ = default_limit;
  tenant_limit_overrides_ = std::move(overrides);
}

void QueryExecutor::ReleaseTenant(const std::string& tenant) {
  if (tenant.empty()) return;
  auto it = in_flight_.find(tenant);
  if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
}

void QueryExecutor::Submit(std::unique_ptr<QueryTask> task, const std::string& tenant) {
  std::unique_lock lock(mu_);
  if (stopping_) {
    lock.unlock();
    task->Run(Status::Unavailable("the server is shutting down"), cancelled_);
    return;
  }
  if (!tenant.empty()) {
    auto limit_it = tenant_limit_overrides_.find(tenant);
    int limit = limit_it == tenant_limit_overrides_.end() ? tenant_limit_ : limit_it->second;
    auto busy_it = in_flight_.find(tenant);
    int busy = busy_it == in_flight_.end() ? 0 : busy_it->second;
    if (limit > 0 && busy >= limit) {
      Status refused = Status::ResourceExhausted(
          fmt::format("tenant {} already has {} queries queued or running, its limit "
                      "(limits.max_concurrent_queries); retry later",
                      tenant, busy));
      lock.unlock();
      rejected_.Increment();
      task->Run(refused, cancelled_);
      return;
    }
  }
  if (queue_.size() >= options_.max_queued) {
    Status refused = Status::Unavailable(fmt::format(
        "too many queries: {} are being evaluated and {} are waiting (query.max_queued); retry "
        "later",
        workers_.size(), queue_.size()));
    lock.unlock();
    rejected_.Increment();
    task->Run(refused, cancelled_);
    return;
  }
  if (!tenant.empty()) ++in_flight_[tenant];
  queue_.push_back({std::move(task), std::chrono::steady_clock::now(), tenant});
  queued_.Increment();
  lock.unlock();
  wake_.notify_one();
}

void QueryExecutor::WorkerLoop() {
  for (;;) {
    Queued next;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // Stop() refuses what is still queued
      next = std::move(queue_.front());
      queue_.pop_front();
      queued_.Decrement();
    }
    queue_wait_.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - next.submitted).count());
    running_.Increment();
    next.task->Run(Status::Ok(), cancelled_);
    next.task.reset();  // its Responder and buffers go before the next task starts
    running_.Decrement();
    std::lock_guard lock(mu_);
    ReleaseTenant(next.tenant);
  }
}

void QueryExecutor::Stop() {
  std::deque<Queued> refused;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    refused.swap(queue_);
  }
  cancelled_ = true;
  wake_.notify_all();
  for (Queued& q : refused) {
    queued_.Decrement();
    {
      std::lock_guard lock(mu_);
      ReleaseTenant(q.tenant);
    }
    q.task->Run(Status::Unavailable("the server is shutting down"), cancelled_);
  }
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

}  // namespace sluice::daemon
