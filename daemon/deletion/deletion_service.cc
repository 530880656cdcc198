#include "daemon/deletion/deletion_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "storage/log_store.h"
#include "storage/metric_store.h"

namespace sluice::daemon {
namespace {

std::string EntryKey(std::string_view tenant, std::string_view request_id) {
  std::string key(tenant);
  key.push_back('\xff');
  key.append(request_id);
  return key;
}

std::string_view KindName(DeleteKind kind) {
  return kind == DeleteKind::kLogs ? "logs" : "metrics";
}

}  // namespace

std::string GoDurationString(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  auto fraction = [](uint64_t v, uint64_t unit) {
    std::string digits = fmt::format("{}", v % unit);
    digits.insert(0, fmt::format("{}", unit).size() - 1 - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return digits.empty() ? std::string() : "." + digits;
  };
  if (u < 1'000) return fmt::format("{}{}ns", sign, u);
  if (u < 1'000'000) return fmt::format("{}{}{}µs", sign, u / 1'000, fraction(u, 1'000));
  if (u < 1'000'000'000) {
    return fmt::format("{}{}{}ms", sign, u / 1'000'000, fraction(u, 1'000'000));
  }
  uint64_t seconds = u / 1'000'000'000;
  std::string s = fmt::format("{}{}s", seconds % 60, fraction(u, 1'000'000'000));
  if (seconds >= 60) s = fmt::format("{}m{}", seconds / 60 % 60, s);
  if (seconds >= 3600) s = fmt::format("{}h{}", seconds / 3600, s);
  return sign + s;
}

Result<std::unique_ptr<DeletionService>> DeletionService::Start(
    DeletionServiceOptions options, std::unique_ptr<alerting::KvStore> kv, storage::LogStore* logs,
    storage::MetricStore* metrics, prometheus::Registry& registry) {
  std::unique_ptr<DeletionService> service(
      new DeletionService(std::move(options), std::move(kv), logs, metrics, registry));
  SLUICE_ASSIGN_OR_RETURN(std::vector<DeleteRequest> stored, service->store_.LoadAll());
  size_t pending = 0;
  {
    std::lock_guard lock(service->mu_);
    for (DeleteRequest& r : stored) {
      Entry e;
      Result<CompiledDelete> compiled = CompileDeleteRequest(r);
      if (compiled.ok()) {
        e.compiled = std::move(compiled).value();
      } else {
        // Neither hidden nor purged, but listed: an operator can see it and cancel it.
        e.compiled_ok = false;
        spdlog::error("deletion: delete request {} of tenant {} cannot be applied: {}",
                      r.request_id, r.tenant, compiled.status().message());
      }
      if (r.status == DeleteStatus::kReceived) ++pending;
      std::string key = EntryKey(r.tenant, r.request_id);
      e.request = std::move(r);
      service->entries_.emplace(std::move(key), std::move(e));
    }
    service->RefreshReadFilters();
  }
  if (!stored.empty()) {
    spdlog::info("deletion: {} delete requests stored, {} not processed yet", stored.size(),
                 pending);
  }
  service->thread_ = std::thread([s = service.get()] { s->ThreadLoop(); });
  return service;
}

DeletionService::DeletionService(DeletionServiceOptions options,
                                 std::unique_ptr<alerting::KvStore> kv, storage::LogStore* logs,
                                 storage::MetricStore* metrics, prometheus::Registry& registry)
    : options_(std::move(options)),
      logs_(logs),
      metrics_(metrics),
      stats_(registry),
      store_(std::move(kv)),
      rng_(std::random_device{}()) {}

DeletionService::~DeletionService() { Stop(); }

int64_t DeletionService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             options_.clock->Now().time_since_epoch())
      .count();
}

Result<DeleteRequest> DeletionService::Add(DeleteRequest request) {
  SLUICE_ASSIGN_OR_RETURN(CompiledDelete compiled, CompileDeleteRequest(request));
  request.created_at_ms = NowMs();
  request.status = DeleteStatus::kReceived;
  request.processed_at_ms = 0;
  request.entries_deleted = 0;
  std::lock_guard lock(mu_);
  std::string key;
  do {
    // Loki's IDs: 8 hex digits. Unique among the stored ones, processed included.
    request.request_id = fmt::format("{:08x}", static_cast<uint32_t>(rng_()));
    key = EntryKey(request.tenant, request.request_id);
  } while (entries_.count(key) > 0);
  SLUICE_RETURN_IF_ERROR(store_.Put(request));
  entries_.emplace(key, Entry{.request = request, .compiled = std::move(compiled)});
  RefreshReadFilters();
  stats_.of(request.kind).received->Increment();
  spdlog::info("deletion: tenant {} requested the deletion of {} {} from {} to {} (ms), as {}",
               request.tenant, KindName(request.kind), fmt::join(request.queries, " or "),
               request.start_ms, request.end_ms, request.request_id);
  return request;
}

std::vector<DeleteRequest> DeletionService::List(std::string_view tenant, DeleteKind kind) const {
  std::vector<DeleteRequest> out;
  std::string prefix = EntryKey(tenant, "");
  std::lock_guard lock(mu_);
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.starts_with(prefix); ++it) {
    if (it->second.request.kind == kind) out.push_back(it->second.request);
  }
  std::stable_sort(out.begin(), out.end(), [](const DeleteRequest& a, const DeleteRequest& b) {
    return a.created_at_ms < b.created_at_ms;
  });
  return out;
}

Status DeletionService::Cancel(std::string_view tenant, std::string_view request_id,
                               DeleteKind kind) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(EntryKey(tenant, request_id));
  if (it == entries_.end() || it->second.request.kind != kind) {
    return Status::NotFound("could not find delete request with given id");
  }
  Entry& e = it->second;
  if (e.request.status != DeleteStatus::kReceived || e.in_process) {
    return Status::FailedPrecondition(
        "deletion of request which is in process or already processed is not allowed");
  }
  int64_t deadline_ms =
      e.request.created_at_ms +
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.cancel_period).count();
  if (deadline_ms < NowMs()) {
    return Status::FailedPrecondition(
        fmt::format("deletion of request past the deadline of {} since its creation is not "
                    "allowed",
                    GoDurationString(options_.cancel_period)));
  }
  SLUICE_RETURN_IF_ERROR(store_.Remove(e.request.tenant, e.request.request_id));
  spdlog::info("deletion: tenant {} cancelled delete request {}", tenant, request_id);
  entries_.erase(it);
  RefreshReadFilters();
  stats_.of(kind).cancelled->Increment();
  return Status::Ok();
}

void DeletionService::RefreshReadFilters() {
  DeletionSet logs, metrics;
  int64_t pending_logs = 0, pending_metrics = 0;
  for (const auto& [key, e] : entries_) {
    if (e.request.status != DeleteStatus::kReceived) continue;
    bool is_logs = e.request.kind == DeleteKind::kLogs;
    ++(is_logs ? pending_logs : pending_metrics);
    if (e.compiled_ok) (is_logs ? logs : metrics)[e.request.tenant].push_back(e.compiled);
  }
  if (logs_ != nullptr) logs_->SetReadFilter(MakeDeletionPlan(std::move(logs)));
  if (metrics_ != nullptr) metrics_->SetReadFilter(MakeDeletionPlan(std::move(metrics)));
  stats_.logs.pending->Set(static_cast<double>(pending_logs));
  stats_.metrics.pending->Set(static_cast<double>(pending_metrics));
}

Status DeletionService::ProcessDue() {
  std::lock_guard pass(process_mu_);
  std::vector<Due> due;
  {
    std::lock_guard lock(mu_);
    int64_t now_ms = NowMs();
    int64_t period_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.cancel_period).count();
    for (auto& [key, e] : entries_) {
      if (e.request.status != DeleteStatus::kReceived || !e.compiled_ok) continue;
      // Loki purges a request once it can no longer be cancelled; Prometheus has no such delay.
      bool cancellable =
          e.request.kind == DeleteKind::kLogs && e.request.created_at_ms + period_ms >= now_ms;
      if (cancellable) continue;
      e.in_process = true;
      due.push_back(Due{key, e.request, e.compiled});
    }
  }
  std::stable_sort(due.begin(), due.end(), [](const Due& a, const Due& b) {
    return a.request.created_at_ms < b.request.created_at_ms;
  });
  Status status;
  for (size_t i = 0; i < due.size() && status.ok(); ++i) {
    if (stopping_.load()) {
      status = Status::Unavailable("the deletion service is stopping");
      break;
    }
    status = Process(due[i]);
  }
  if (!status.ok() && status.code() != StatusCode::kUnavailable) stats_.failures.Increment();
  // What this pass did not finish is left for the next one.
  std::lock_guard lock(mu_);
  for (const Due& d : due) {
    auto it = entries_.find(d.key);
    if (it != entries_.end()) it->second.in_process = false;
  }
  return status;
}

Status DeletionService::Process(const Due& due) {
  const DeleteRequest& r = due.request;
  DeletionSet set;
  set[r.tenant].push_back(due.compiled);
  storage::DeletionPlan plan = MakeDeletionPlan(std::move(set));
  Result<storage::PurgeStats> purged =
      r.kind == DeleteKind::kLogs
          ? (logs_ != nullptr ? logs_->Purge(plan) : storage::PurgeStats{})
          : (metrics_ != nullptr ? metrics_->Purge(plan) : storage::PurgeStats{});
  if (!purged.ok()) {
    spdlog::error("deletion: purging delete request {} of tenant {}: {}", r.request_id, r.tenant,
                  purged.status().message());
    return purged.status();
  }
  DeleteRequest done = r;
  done.status = DeleteStatus::kProcessed;
  done.processed_at_ms = NowMs();
  done.entries_deleted = purged->entries_deleted;
  std::lock_guard lock(mu_);
  auto it = entries_.find(due.key);
  if (it == entries_.end()) return Status::Ok();  // cannot happen: in_process refuses Cancel
  // Until this write the request stays hidden and due: a restart purges it again, finding
  // nothing more to delete.
  SLUICE_RETURN_IF_ERROR(store_.Put(done));
  it->second.request = done;
  it->second.in_process = false;
  RefreshReadFilters();
  DeletionMetrics::PerKind& stats = stats_.of(r.kind);
  stats.processed->Increment();
  stats.entries_deleted->Increment(static_cast<double>(purged->entries_deleted));
  stats.bytes_deleted->Increment(static_cast<double>(purged->bytes_deleted));
  spdlog::info(
      "deletion: processed delete request {} of tenant {}: {} {} deleted ({} blocks removed, {} "
      "rewritten, {} streams dropped)",
      r.request_id, r.tenant, purged->entries_deleted,
      r.kind == DeleteKind::kLogs ? "entries" : "samples", purged->blocks_deleted,
      purged->blocks_rewritten, purged->streams_dropped);
  return Status::Ok();
}

void DeletionService::ProcessSoon(std::function<void(const Status&)> done) {
  {
    std::lock_guard lock(thread_mu_);
    if (!stopped_) {
      waiters_.push_back(std::move(done));
      wake_.notify_all();
      return;
    }
  }
  done(Status::Unavailable("the deletion service is stopping"));
}

void DeletionService::ThreadLoop() {
  auto next = std::chrono::steady_clock::now() + options_.processing_interval;
  std::unique_lock lock(thread_mu_);
  while (!stopped_) {
    wake_.wait_until(lock, next, [this] { return stopped_ || !waiters_.empty(); });
    if (stopped_) break;
    std::vector<std::function<void(const Status&)>> waiters = std::move(waiters_);
    waiters_.clear();
    lock.unlock();
    Status s = ProcessDue();
    if (!s.ok()) spdlog::error("deletion: processing stopped: {}", s.message());
    for (auto& w : waiters) w(s);
    lock.lock();
    next = std::chrono::steady_clock::now() + options_.processing_interval;
  }
}

void DeletionService::Stop() {
  std::vector<std::function<void(const Status&)>> waiters;
  {
    std::lock_guard lock(thread_mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    waiters = std::move(waiters_);
    waiters_.clear();
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& w : waiters) w(Status::Unavailable("the deletion service is stopping"));
}

}  // namespace sluice::daemon
