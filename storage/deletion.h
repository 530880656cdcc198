// Deletion: what retention and delete requests remove from one stream or series, as the storage
// engines apply it. Two uses of one description:
//   - physically, by a purge pass on each shard's writer thread (LogStore::Purge,
//     MetricStore::Purge): blocks and chunks wholly covered are deleted, the ones that straddle
//     a bound are rewritten without the covered entries, streams left empty are dropped;
//   - at read time (LogStore::SetReadFilter, MetricStore::SetReadFilter): a delete request hides
//     its data from every query as soon as it is accepted, long before a purge reaches it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/labels.h"

namespace sluice::storage {

// One span of time to delete, bounds inclusive (nanoseconds for logs, milliseconds for metrics).
struct DeletionInterval {
  int64_t start = std::numeric_limits<int64_t>::min();
  int64_t end = std::numeric_limits<int64_t>::max();
  // Logs only: when set, only lines it accepts are deleted (Loki's delete queries with line
  // filters). Must be thread-safe.
  std::function<bool(std::string_view line)> line_filter;

  bool Contains(int64_t ts) const { return ts >= start && ts <= end; }
  // Whether it reaches into [min_ts, max_ts].
  bool Overlaps(int64_t min_ts, int64_t max_ts) const { return start <= max_ts && end >= min_ts; }
};

// Appends to `out` what to delete of the stream or series of `tenant` with `labels`; nothing for
// what is kept. Called from shard writer threads and query threads at once: must be thread-safe,
// and cheap, since a purge calls it for every stream.
using DeletionPlan = std::function<void(std::string_view tenant, const Labels& labels,
                                        std::vector<DeletionInterval>* out)>;

// Whether an entry at `ts` with `line` is deleted by any of `intervals`.
inline bool IsDeleted(const std::vector<DeletionInterval>& intervals, int64_t ts,
                      std::string_view line = {}) {
  for (const DeletionInterval& d : intervals) {
    if (d.Contains(ts) && (!d.line_filter || d.line_filter(line))) return true;
  }
  return false;
}

// The plan of the delete requests not purged yet, which reads apply. Thread-safe; a read sees
// the plan set before it began or the one after, never a mix.
class ReadFilter {
 public:
  // An empty plan hides nothing.
  void Set(DeletionPlan plan) {
    auto next = plan ? std::make_shared<const DeletionPlan>(std::move(plan)) : nullptr;
    std::lock_guard lock(mu_);
    plan_ = std::move(next);
  }
  // What is hidden of the stream or series of `tenant` with `labels`: usually nothing.
  std::vector<DeletionInterval> For(std::string_view tenant, const Labels& labels) const {
    std::shared_ptr<const DeletionPlan> plan;
    {
      std::lock_guard lock(mu_);
      plan = plan_;
    }
    std::vector<DeletionInterval> out;
    if (plan) (*plan)(tenant, labels, &out);
    return out;
  }
  bool empty() const {
    std::lock_guard lock(mu_);
    return plan_ == nullptr;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const DeletionPlan> plan_;
};

// The range covering both; either may be absent.
inline std::optional<std::pair<int64_t, int64_t>> MergeTimeRanges(
    std::optional<std::pair<int64_t, int64_t>> a, std::optional<std::pair<int64_t, int64_t>> b) {
  if (!a) return b;
  if (!b) return a;
  return std::make_pair(std::min(a->first, b->first), std::max(a->second, b->second));
}

// What a purge did, summed over shards.
struct PurgeStats {
  uint64_t streams_examined = 0;  // streams or series the plan deleted something of
  uint64_t blocks_deleted = 0;    // blocks or chunks removed whole
  uint64_t blocks_rewritten = 0;  // blocks or chunks rewritten without some entries
  uint64_t entries_deleted = 0;   // log entries or samples removed
  uint64_t bytes_deleted = 0;     // stored bytes of the removed blocks and chunks
  uint64_t streams_dropped = 0;   // streams left empty and forgotten (logs)

  PurgeStats& operator+=(const PurgeStats& o) {
    streams_examined += o.streams_examined;
    blocks_deleted += o.blocks_deleted;
    blocks_rewritten += o.blocks_rewritten;
    entries_deleted += o.entries_deleted;
    bytes_deleted += o.bytes_deleted;
    streams_dropped += o.streams_dropped;
    return *this;
  }
};

}  // namespace sluice::storage
