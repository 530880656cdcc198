#include "daemon/retention_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

namespace sluice::daemon {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kNanosPerMilli = 1'000'000;
// Rounds of the disk cap per pass: each deletes a slice of the time range and compacts.
constexpr int kDiskCapRounds = 8;
// The first pass after a start comes this soon (or after the interval, if shorter).
constexpr auto kFirstPassDelay = std::chrono::minutes(1);
// Deleted bytes, as a share of the data dir, that make a pass compact.
constexpr double kCompactionShare = 0.1;

std::string FormatBytes(uint64_t bytes) {
  if (bytes < (1 << 20)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

std::string FormatTime(int64_t unix_ns) {
  auto t = std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::system_clock::time_point(std::chrono::nanoseconds(unix_ns)));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", t);
}

void Count(prometheus::Family<prometheus::Counter>& family, const char* engine, const char* reason,
           uint64_t n) {
  if (n > 0) family.Add({{"engine", engine}, {"reason", reason}}).Increment(static_cast<double>(n));
}

// Deletes, for every tenant, what is older than `cutoff` (the store's unit: ns for logs, ms for
// metrics).
storage::DeletionPlan OlderThan(int64_t cutoff) {
  return [cutoff](std::string_view, const storage::Labels&,
                  std::vector<storage::DeletionInterval>* out) {
    out->push_back(storage::DeletionInterval{kMin, cutoff - 1, {}});
  };
}

}  // namespace

RetentionService::RetentionService(storage::ShardSet& shards, storage::LogStore& logs,
                                   storage::MetricStore& metrics, prometheus::Registry& registry,
                                   const Clock& clock)
    : shards_(shards),
      logs_(logs),
      metrics_(metrics),
      clock_(clock),
      runs_(prometheus::BuildCounter()
                .Name("sluice_retention_runs_total")
                .Help("Retention passes run")
                .Register(registry)
                .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("sluice_retention_failures_total")
                    .Help("Retention passes that failed (the error is logged)")
                    .Register(registry)
                    .Add({})),
      compactions_(prometheus::BuildCounter()
                       .Name("sluice_retention_compactions_total")
                       .Help("Compactions of the block and chunk column families after purges")
                       .Register(registry)
                       .Add({})),
      deleted_entries_(prometheus::BuildCounter()
                           .Name("sluice_retention_deleted_entries_total")
                           .Help("Log entries and samples deleted by retention, by engine and "
                                 "reason (period or disk_cap)")
                           .Register(registry)),
      deleted_bytes_(prometheus::BuildCounter()
                         .Name("sluice_retention_deleted_bytes_total")
                         .Help("Stored bytes of the blocks and chunks retention deleted")
                         .Register(registry)),
      last_success_(prometheus::BuildGauge()
                        .Name("sluice_retention_last_success_timestamp_seconds")
                        .Help("When the last retention pass succeeded")
                        .Register(registry)
                        .Add({})) {}

RetentionService::~RetentionService() { Stop(); }

void RetentionService::Start(RetentionPolicy policy, RetentionOptions options) {
  Update(std::move(policy), options);
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void RetentionService::Update(RetentionPolicy policy, RetentionOptions options) {
  std::lock_guard lock(mu_);
  policy_ = std::make_shared<const RetentionPolicy>(std::move(policy));
  options_ = options;
  wake_.notify_all();  // a new interval starts now
}

void RetentionService::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void RetentionService::Loop() {
  // The first pass comes soon after the start, so that a daemon restarted more often than the
  // interval still enforces retention; later ones every interval from the end of the last. A
  // reload changes the interval without putting the next pass off.
  using SteadyClock = std::chrono::steady_clock;
  const auto started = SteadyClock::now();
  auto last_end = started;
  bool first = true;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto due = first ? started + std::min<SteadyClock::duration>(options_.interval, kFirstPassDelay)
                     : last_end + options_.interval;
    if (SteadyClock::now() < due) {
      wake_.wait_until(lock, due);  // or a stop, or an update that may move `due`
      continue;
    }
    lock.unlock();
    Result<RetentionPass> pass = RunOnce();
    if (!pass.ok()) spdlog::error("retention: {}", pass.status().message());
    lock.lock();
    first = false;
    last_end = SteadyClock::now();
  }
}

Result<RetentionPass> RetentionService::RunOnce() {
  std::lock_guard run(run_mu_);
  std::shared_ptr<const RetentionPolicy> policy;
  RetentionOptions options;
  {
    std::lock_guard lock(mu_);
    policy = policy_;
    options = options_;
  }
  runs_.Increment();
  RetentionPass pass;
  auto failed = [&](const Status& s) {
    failures_.Increment();
    return s;
  };

  if (policy->Expires()) {
    const int64_t now = clock_.NowNanos();
    auto logs = logs_.Purge([&](std::string_view tenant, const storage::Labels& labels,
                                std::vector<storage::DeletionInterval>* out) {
      if (auto period = policy->LogPeriod(tenant, labels)) {
        out->push_back(storage::DeletionInterval{kMin, now - period->count() - 1, {}});
      }
    });
    if (!logs.ok()) return failed(logs.status());
    auto samples = metrics_.Purge([&](std::string_view tenant, const storage::Labels&,
                                      std::vector<storage::DeletionInterval>* out) {
      if (auto period = policy->MetricPeriod(tenant)) {
        out->push_back(
            storage::DeletionInterval{kMin, (now - period->count()) / kNanosPerMilli - 1, {}});
      }
    });
    if (!samples.ok()) return failed(samples.status());
    Count(deleted_entries_, "logs", "period", logs->entries_deleted);
    Count(deleted_entries_, "metrics", "period", samples->entries_deleted);
    Count(deleted_bytes_, "logs", "period", logs->bytes_deleted);
    Count(deleted_bytes_, "metrics", "period", samples->bytes_deleted);
    if (logs->entries_deleted + samples->entries_deleted > 0) {
      spdlog::info(
          "retention: deleted {} log entries ({} streams emptied) and {} samples past their "
          "retention period, {} stored",
          logs->entries_deleted, logs->streams_dropped, samples->entries_deleted,
          FormatBytes(logs->bytes_deleted + samples->bytes_deleted));
    }
    pass.expired = *logs;
    pass.expired += *samples;
  }

  if (options.max_disk_bytes > 0) {
    Status capped = EnforceDiskCap(options.max_disk_bytes, &pass);
    if (!capped.ok()) return failed(capped);
  }

  deleted_since_compaction_ += pass.expired.bytes_deleted;
  if (!pass.compacted && deleted_since_compaction_ > 0 &&
      static_cast<double>(deleted_since_compaction_) >=
          kCompactionShare * static_cast<double>(shards_.DiskBytes())) {
    Status compacted = shards_.CompactData();
    if (!compacted.ok()) return failed(compacted);
    compactions_.Increment();
    pass.compacted = true;
  }
  if (pass.compacted) deleted_since_compaction_ = 0;
  last_success_.Set(static_cast<double>(clock_.NowNanos()) / 1e9);
  return pass;
}

Status RetentionService::EnforceDiskCap(uint64_t cap, RetentionPass* pass) {
  const uint64_t target = cap / 10 * 9;
  for (int round = 0; round < kDiskCapRounds; ++round) {
    const uint64_t used = shards_.DiskBytes();
    if (used <= cap) return Status::Ok();
    std::optional<std::pair<int64_t, int64_t>> range = logs_.TimeRange();
    if (auto ms = metrics_.TimeRange()) {
      range = storage::MergeTimeRanges(
          range, std::make_pair(ms->first * kNanosPerMilli, ms->second * kNanosPerMilli));
    }
    if (!range || range->first >= range->second) {
      spdlog::warn(
          "retention: the data dir takes {}, over storage.max_disk_bytes ({}), and "
          "holds nothing old enough to delete",
          FormatBytes(used), FormatBytes(cap));
      return Status::Ok();
    }
    // Bytes are taken as spread evenly over time: the share to free (down to 90% of the cap, so
    // that the next pass does not start over at once) is the share of the range to delete. The
    // newest timestamp always stays.
    const double share =
        static_cast<double>(used - std::min(used, target)) / static_cast<double>(used);
    const auto span = static_cast<double>(range->second - range->first);
    const int64_t cutoff = std::min(
        range->second,
        range->first + std::max<int64_t>(1'000'000'000, static_cast<int64_t>(span * share)));
    auto logs = logs_.Purge(OlderThan(cutoff));
    if (!logs.ok()) return logs.status();
    auto samples = metrics_.Purge(OlderThan(cutoff / kNanosPerMilli));
    if (!samples.ok()) return samples.status();
    SLUICE_RETURN_IF_ERROR(shards_.CompactData());
    compactions_.Increment();
    pass->compacted = true;
    Count(deleted_entries_, "logs", "disk_cap", logs->entries_deleted);
    Count(deleted_entries_, "metrics", "disk_cap", samples->entries_deleted);
    Count(deleted_bytes_, "logs", "disk_cap", logs->bytes_deleted);
    Count(deleted_bytes_, "metrics", "disk_cap", samples->bytes_deleted);
    pass->disk_cap += *logs;
    pass->disk_cap += *samples;
    spdlog::warn(
        "retention: the data dir took {}, over storage.max_disk_bytes ({}): deleted every tenant's "
        "data older than {} ({} log entries, {} samples); now {}",
        FormatBytes(used), FormatBytes(cap), FormatTime(cutoff), logs->entries_deleted,
        samples->entries_deleted, FormatBytes(shards_.DiskBytes()));
  }
  return Status::Ok();
}

}  // namespace sluice::daemon
