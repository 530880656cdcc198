// MetricShard's read path: series selection, samples merged from sealed chunks and the head,
// metadata and statistics. Runs on any thread, under the shard's shared lock.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <mutex>

#include "storage/keys.h"
#include "storage/metric_shard_impl.h"

namespace sluice::storage {

Status ForEachChunk(
    const Shard& shard, const rocksdb::Snapshot* snapshot, uint32_t id, int64_t max_chunk_span,
    int64_t start, int64_t end,
    const std::function<Status(std::string_view key, uint64_t seq, const ChunkHeader& header,
                               std::string_view value)>& fn) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string upper = keys::Chunk(id, end, std::numeric_limits<uint64_t>::max());
  upper.push_back('\0');
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  // Chunk keys sort by min_ts: a chunk reaching into [start, end] begins at most its span earlier.
  int64_t from = start >= std::numeric_limits<int64_t>::min() + max_chunk_span
                     ? start - max_chunk_span
                     : std::numeric_limits<int64_t>::min();
  std::unique_ptr<rocksdb::Iterator> it(shard.db->NewIterator(ro, shard.cf(Cf::kMetricChunks)));
  for (it->Seek(keys::Chunk(id, from, 0)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    std::string_view value(it->value().data(), it->value().size());
    uint64_t key_id = 0, seq = 0;
    int64_t min_ts = 0;
    ChunkHeader header;
    if (!keys::ParseChunk(key, &key_id, &min_ts, &seq) || !ReadChunkHeader(value, &header)) {
      return Status::Corruption(fmt::format("series {}: unreadable chunk", id));
    }
    if (header.max_ts < start) continue;
    SLUICE_RETURN_IF_ERROR(fn(key, seq, header, value));
  }
  return FromRocks(it->status(), "reading metric chunks");
}

std::vector<SeriesInfo> MetricShard::Select(std::string_view tenant, const LabelMatchers& matchers,
                                            int64_t start, int64_t end) const {
  std::vector<SeriesInfo> out;
  std::shared_lock lock(impl_->mu);
  for (const MetricSeries* s : impl_->series.Select(tenant, matchers, start, end)) {
    SeriesInfo info;
    info.shard = shard_.index;
    info.id = s->id;
    ParseSeriesKey(s->labels, &info.labels);
    info.min_ts = s->min_ts;
    info.max_ts = s->max_ts;
    out.push_back(std::move(info));
  }
  return out;
}

Status MetricShard::Read(uint32_t id, int64_t start, int64_t end, std::vector<Sample>* out) const {
  std::vector<Sample> head;
  int64_t span = 0;
  const rocksdb::Snapshot* snapshot = nullptr;
  std::vector<DeletionInterval> hidden;
  {
    std::shared_lock lock(impl_->mu);
    const MetricSeries* s = impl_->series.FindById(id);
    // Forgotten by a purge since it was selected: nothing left to read.
    if (s == nullptr) return Status::Ok();
    if (!s->Overlaps(start, end)) return Status::Ok();
    s->head.Decode(&head);
    head.insert(head.end(), s->out_of_order.begin(), s->out_of_order.end());
    span = s->max_chunk_span;
    snapshot = shard_.db->GetSnapshot();
    if (impl_->options.read_filter != nullptr && !impl_->options.read_filter->empty()) {
      Labels labels;
      ParseSeriesKey(s->labels, &labels);
      hidden = impl_->options.read_filter->For(impl_->series.TenantName(s->tenant), labels);
    }
  }
  struct Found {
    uint64_t seq;
    size_t begin, end;  // in `all`
  };
  std::vector<Sample> all;
  std::vector<Found> found;
  Status status =
      ForEachChunk(shard_, snapshot, id, span, start, end,
                   [&](std::string_view, uint64_t seq, const ChunkHeader&, std::string_view value) {
                     size_t begin = all.size();
                     SLUICE_RETURN_IF_ERROR(DecodeChunk(value, &all));
                     found.push_back(Found{seq, begin, all.size()});
                     return Status::Ok();
                   });
  shard_.db->ReleaseSnapshot(snapshot);
  SLUICE_RETURN_IF_ERROR(status);

  // Oldest writes first, so that SortAndDedupe keeps the newest of equal timestamps.
  bool in_seq_order = std::is_sorted(found.begin(), found.end(),
                                     [](const Found& a, const Found& b) { return a.seq < b.seq; });
  std::vector<Sample> merged;
  if (in_seq_order) {
    merged.swap(all);
  } else {
    std::sort(found.begin(), found.end(),
              [](const Found& a, const Found& b) { return a.seq < b.seq; });
    merged.reserve(all.size() + head.size());
    for (const Found& f : found) {
      merged.insert(merged.end(), all.begin() + static_cast<std::ptrdiff_t>(f.begin),
                    all.begin() + static_cast<std::ptrdiff_t>(f.end));
    }
  }
  merged.insert(merged.end(), head.begin(), head.end());
  SortAndDedupe(merged);
  for (const Sample& s : merged) {
    if (s.timestamp_ms >= start && s.timestamp_ms <= end && !IsDeleted(hidden, s.timestamp_ms)) {
      out->push_back(s);
    }
  }
  return Status::Ok();
}

std::vector<MetricMetadata> MetricShard::Metadata(std::string_view tenant) const {
  std::vector<MetricMetadata> out;
  std::string prefix(tenant);
  prefix.push_back('\xff');
  std::shared_lock lock(impl_->mu);
  for (const auto& [key, md] : impl_->metadata) {
    if (key.starts_with(prefix)) out.push_back(md);
  }
  return out;
}

std::optional<std::pair<int64_t, int64_t>> MetricShard::TimeRange() const {
  std::shared_lock lock(impl_->mu);
  std::optional<std::pair<int64_t, int64_t>> range;
  impl_->series.ForEach([&](const MetricSeries& s) {
    if (s.has_data) range = MergeTimeRanges(range, std::make_pair(s.min_ts, s.max_ts));
  });
  return range;
}

MetricShardStats MetricShard::Stats() const {
  std::shared_lock lock(impl_->mu);
  MetricShardStats stats;
  stats.series = impl_->series.size();
  impl_->series.ForEach([&](MetricSeries& s) {
    stats.head_samples += s.HeadSamples();
    stats.head_bytes += s.HeadMemoryBytes();
  });
  return stats;
}

size_t MetricShard::TenantSeriesCount(std::string_view tenant) const {
  std::shared_lock lock(impl_->mu);
  return impl_->series.CountForTenant(tenant);
}

bool MetricShard::HasSeries(std::string_view tenant, uint64_t fingerprint,
                            std::string_view series_key) const {
  std::shared_lock lock(impl_->mu);
  return impl_->series.Contains(tenant, fingerprint, series_key);
}

}  // namespace sluice::storage
