// SeriesRegistry: one shard's metric series, by id and by (tenant, labels), with postings per
// label pair for selecting series by matchers. Not synchronized: MetricShard guards it.
//
// Sized for millions of series: a series' labels are one string (its series key,
// metric_batch.h),
// ids are dense per shard (1, 2, ...) so postings are appended in order and stay sorted, and
// the lookup is by fingerprint (XXH3 of tenant and labels) with a byte comparison of the labels
// to resolve collisions.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/label_matcher.h"
#include "storage/metric_batch.h"
#include "storage/metric_chunk.h"

namespace sluice::storage {

// Laid out for the write path, which touches thousands of series per request, each a cache miss:
// resolving a series reads the first 48 bytes (fingerprint, tenant, key), appending a sample the
// next 80 (time range, head, flags); what only sealing and replay need comes after.
struct MetricSeries {
  uint64_t fingerprint = 0;
  uint32_t tenant = 0;  // SeriesRegistry::TenantName
  uint32_t id = 0;
  std::string labels;  // the series key (AppendSeriesKey)
  int64_t min_ts = 0;  // over everything stored; valid when has_data
  int64_t max_ts = 0;

  // The head: samples not yet sealed into a chunk. In-order samples go to `head`; samples at or
  // before its last timestamp (out of order, or duplicates) to `out_of_order`, merged at sealing.
  XorChunk head;
  bool has_data = false;
  bool seal_queued = false;
  std::vector<Sample> out_of_order;
  uint64_t head_first_wal_seq = 0;
  int64_t head_since_steady_ns = 0;  // when the oldest unsealed sample arrived

  int64_t max_chunk_span = 0;  // the widest max_ts - min_ts of its sealed chunks
  // The newest timestamp in a sealed chunk (kNoSealedChunk: none yet). A head reaching back to
  // it is merged with the chunks it overlaps when sealed, so chunks never overlap on disk.
  int64_t sealed_max_ts = kNoSealedChunk;
  static constexpr int64_t kNoSealedChunk = std::numeric_limits<int64_t>::min();
  // WAL records below this seq hold no unsealed samples of this series: replay skips them.
  uint64_t wal_floor = 0;

  // What appending an in-order sample touches (time range, head, flags), for a pipelined caller.
  void PrefetchForAppend() const {
    __builtin_prefetch(&min_ts, 1);
    __builtin_prefetch(&seal_queued, 1);
  }
  bool HeadEmpty() const { return head.count() == 0 && out_of_order.empty(); }
  size_t HeadSamples() const { return head.count() + out_of_order.size(); }
  size_t HeadMemoryBytes() const {
    return head.MemoryBytes() - sizeof(XorChunk) + out_of_order.capacity() * sizeof(Sample);
  }
  void ExtendTimeRange(int64_t ts) {
    if (!has_data) {
      min_ts = max_ts = ts;
      has_data = true;
    } else {
      min_ts = std::min(min_ts, ts);
      max_ts = std::max(max_ts, ts);
    }
  }
  bool Overlaps(int64_t start, int64_t end) const {  // [start, end], both inclusive
    return has_data && min_ts <= end && max_ts >= start;
  }
};

// Encoded value of a metric_series record: tenant, labels, time range, chunk span, WAL floor.
std::string EncodeSeriesRecord(const MetricSeries& series, std::string_view tenant);
bool DecodeSeriesRecord(std::string_view value, MetricSeries* series, std::string* tenant);

class SeriesRegistry {
 public:
  // The tenant's index, added when new.
  uint32_t InternTenant(std::string_view tenant);
  // The tenant's index, or -1 when it has no series here.
  int64_t FindTenant(std::string_view tenant) const;
  const std::string& TenantName(uint32_t index) const { return tenant_names_[index]; }

  const MetricSeries* Find(uint32_t tenant, uint64_t fingerprint,
                           std::string_view encoded_labels) const;
  MetricSeries* Find(uint32_t tenant, uint64_t fingerprint, std::string_view encoded_labels) {
    return const_cast<MetricSeries*>(
        std::as_const(*this).Find(tenant, fingerprint, encoded_labels));
  }
  // A request resolves thousands of series, each three dependent cache misses (slot, series,
  // its key): callers go through them in a pipeline, PrefetchSlot furthest ahead of Find, then
  // PrefetchSeries (which reads the slot, loaded by then), then PrefetchKey (which reads the
  // series) nearest.
  void PrefetchSlot(uint64_t fingerprint) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[fingerprint & (slots_.size() - 1)]);
  }
  void PrefetchSeries(uint64_t fingerprint) const {
    if (const MetricSeries* s = SlotSeries(fingerprint)) __builtin_prefetch(s);
  }
  void PrefetchKey(uint64_t fingerprint) const {
    if (const MetricSeries* s = SlotSeries(fingerprint)) {
      const char* key = s->labels.data();
      for (size_t offset = 0; offset < s->labels.size(); offset += 64) {
        __builtin_prefetch(key + offset);
      }
    }
  }
  MetricSeries* FindById(uint32_t id) {
    return id - 1 < by_id_.size() ? by_id_[id - 1].get() : nullptr;
  }
  const MetricSeries* FindById(uint32_t id) const {
    return id - 1 < by_id_.size() ? by_id_[id - 1].get() : nullptr;
  }
  uint32_t NextId() const { return static_cast<uint32_t>(by_id_.size() + 1); }

  // Takes in a series whose id (== NextId() for a new one; any unused id when loading), tenant,
  // fingerprint and labels are set.
  MetricSeries* Add(std::unique_ptr<MetricSeries> series);

  // Forgets series `id`: its postings, its slot and the series itself (FindById then returns
  // null; the id is not handed out again while the process runs). False when unknown.
  bool Remove(uint32_t id);

  // Series of `tenant` that satisfy every matcher and hold data overlapping [start, end].
  std::vector<const MetricSeries*> Select(std::string_view tenant, const LabelMatchers& matchers,
                                          int64_t start, int64_t end) const;

  template <typename F>
  void ForEach(F f) {
    for (auto& s : by_id_) {
      if (s) f(*s);
    }
  }
  template <typename F>
  void ForEach(F f) const {
    for (const auto& s : by_id_) {
      if (s) f(static_cast<const MetricSeries&>(*s));
    }
  }
  size_t size() const { return count_; }

  // For limits: the series `tenant` has here, and whether it has the one with this key.
  size_t CountForTenant(std::string_view tenant) const;
  bool Contains(std::string_view tenant, uint64_t fingerprint,
                std::string_view encoded_labels) const;

 private:
  using Postings = std::vector<uint32_t>;  // sorted series ids
  struct TenantIndex {
    std::unordered_map<std::string, std::unordered_map<std::string, Postings>> postings;
    Postings all;
  };

  // Open addressing with linear probing on the fingerprint: the lookup of every sample written
  // touches one slot and then the series itself, not the chain of nodes a std::unordered_map
  // would. Remove shifts the probe chain back, so no tombstones are needed.
  struct Slot {
    uint64_t fingerprint = 0;
    MetricSeries* series = nullptr;
  };
  void InsertSlot(uint64_t fingerprint, MetricSeries* series);
  // The series in the fingerprint's home slot when its fingerprint matches (for prefetching).
  const MetricSeries* SlotSeries(uint64_t fingerprint) const {
    if (slots_.empty()) return nullptr;
    const Slot& slot = slots_[fingerprint & (slots_.size() - 1)];
    return slot.fingerprint == fingerprint ? slot.series : nullptr;
  }

  std::vector<std::unique_ptr<MetricSeries>> by_id_;  // index id - 1
  size_t count_ = 0;
  std::vector<Slot> slots_;  // size a power of two, at most half full
  std::vector<std::string> tenant_names_;
  std::unordered_map<std::string, uint32_t> tenant_ids_;
  std::vector<TenantIndex> tenants_;
};

}  // namespace sluice::storage
