#include "storage/metric_store.h"

#include <algorithm>
#include <set>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "storage/ack_join.h"
#include "storage/series_registry.h"

namespace sluice::storage {

MetricStore::MetricStore(const ShardSet& shards, const MetricShardOptions& options,
                         prometheus::Registry& registry, const Clock& clock)
    : metrics_(std::make_unique<MetricEngineMetrics>(registry)) {
  MetricShardOptions with_filter = options;
  with_filter.read_filter = &read_filter_;
  for (size_t i = 0; i < shards.size(); ++i) {
    shards_.push_back(
        std::make_unique<MetricShard>(shards.shard(i), with_filter, metrics_.get(), clock));
  }
}

MetricStore::~MetricStore() { Stop(); }

Status MetricStore::Recover() {
  for (auto& s : shards_) SLUICE_RETURN_IF_ERROR(s->Recover());
  return Status::Ok();
}

void MetricStore::Start() {
  for (auto& s : shards_) s->Start();
}

void MetricStore::Stop() {
  for (auto& s : shards_) s->Stop();
}

Status MetricStore::SealAll() {
  for (auto& s : shards_) SLUICE_RETURN_IF_ERROR(s->SealAll());
  return Status::Ok();
}

void MetricStore::Write(const MetricBatch& batch, std::function<void(const Status&)> done) {
  const size_t n = shards_.size();
  const std::vector<MetricSeriesRef>& series = batch.series();
  std::vector<MetricShardPart> parts(n);
  // Samples grouped by series, keeping each series' arrival order. A counting pass first, so that
  // each part is allocated once and the shard of a series is computed once, not per sample.
  std::vector<uint32_t> count(series.size(), 0);
  for (const MetricSampleRef& s : batch.samples()) ++count[s.series];
  std::vector<uint32_t> shard_of(series.size());
  struct PartSize {
    size_t series = 0, key_bytes = 0, samples = 0;
  };
  std::vector<PartSize> sizes(n);
  for (uint32_t i = 0; i < series.size(); ++i) {
    if (count[i] == 0) continue;
    shard_of[i] = static_cast<uint32_t>(series[i].fingerprint % n);
    PartSize& size = sizes[shard_of[i]];
    ++size.series;
    size.key_bytes += series[i].key_size;
    size.samples += count[i];
  }
  for (size_t p = 0; p < n; ++p) {
    parts[p].series.reserve(sizes[p].series);
    parts[p].labels.reserve(sizes[p].key_bytes);
    parts[p].samples.reserve(sizes[p].samples);
  }
  std::vector<uint32_t> part_series(series.size(), 0);
  for (uint32_t i = 0; i < series.size(); ++i) {
    if (count[i] == 0) continue;
    MetricShardPart& part = parts[shard_of[i]];
    MetricShardPart::Series ps;
    ps.fingerprint = series[i].fingerprint;
    ps.labels_offset = static_cast<uint32_t>(part.labels.size());
    part.labels.append(batch.SeriesKey(i));
    ps.labels_size = static_cast<uint32_t>(part.labels.size() - ps.labels_offset);
    ps.first_sample = static_cast<uint32_t>(part.samples.size());
    part.samples.resize(part.samples.size() + count[i]);
    part_series[i] = static_cast<uint32_t>(part.series.size());
    part.series.push_back(ps);
  }
  for (const MetricSampleRef& s : batch.samples()) {
    MetricShardPart& part = parts[shard_of[s.series]];
    MetricShardPart::Series& ps = part.series[part_series[s.series]];
    part.samples[ps.first_sample + ps.sample_count++] = Sample{s.timestamp_ms, s.value};
  }
  for (const MetricMetadata& md : batch.metadata()) {
    uint64_t h = XXH3_64bits(md.family.data(), md.family.size());
    parts[h % n].metadata.push_back(md);
  }
  size_t nonempty = 0;
  for (MetricShardPart& p : parts) {
    if (!p.series.empty() || !p.metadata.empty()) ++nonempty;
  }
  if (nonempty == 0) {
    done(Status::Ok());
    return;
  }
  auto join = std::make_shared<AckJoin>(nonempty, std::move(done));
  for (size_t i = 0; i < n; ++i) {
    if (parts[i].series.empty() && parts[i].metadata.empty()) continue;
    parts[i].tenant = batch.tenant();
    shards_[i]->Submit(std::move(parts[i]), [join](const Status& s) { join->PartDone(s); });
  }
}

size_t MetricStore::SeriesCount(std::string_view tenant) const {
  size_t n = 0;
  for (const auto& s : shards_) n += s->TenantSeriesCount(tenant);
  return n;
}

bool MetricStore::HasSeries(const MetricBatch& batch, uint32_t s) const {
  const MetricSeriesRef& ref = batch.series()[s];
  return shards_[ref.fingerprint % shards_.size()]->HasSeries(batch.tenant(), ref.fingerprint,
                                                              batch.SeriesKey(s));
}

std::vector<SeriesInfo> MetricStore::Select(std::string_view tenant, const LabelMatchers& matchers,
                                            int64_t start, int64_t end) const {
  std::vector<SeriesInfo> out;
  for (const auto& s : shards_) {
    std::vector<SeriesInfo> part = s->Select(tenant, matchers, start, end);
    std::move(part.begin(), part.end(), std::back_inserter(out));
  }
  return out;
}

Status MetricStore::Read(const SeriesInfo& series, int64_t start, int64_t end,
                         std::vector<Sample>* out) const {
  return shards_.at(series.shard)->Read(series.id, start, end, out);
}

std::vector<std::string> MetricStore::LabelNames(std::string_view tenant,
                                                 const LabelMatchers& matchers, int64_t start,
                                                 int64_t end) const {
  std::set<std::string> names;
  for (const SeriesInfo& s : Select(tenant, matchers, start, end)) {
    for (const Label& l : s.labels) names.insert(l.name);
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> MetricStore::LabelValues(std::string_view tenant, std::string_view name,
                                                  const LabelMatchers& matchers, int64_t start,
                                                  int64_t end) const {
  std::set<std::string> values;
  for (const SeriesInfo& s : Select(tenant, matchers, start, end)) {
    std::string_view v = LabelValue(s.labels, name);
    if (!v.empty()) values.emplace(v);
  }
  return {values.begin(), values.end()};
}

std::vector<MetricMetadata> MetricStore::Metadata(std::string_view tenant) const {
  std::vector<MetricMetadata> out;
  for (const auto& s : shards_) {
    std::vector<MetricMetadata> part = s->Metadata(tenant);
    std::move(part.begin(), part.end(), std::back_inserter(out));
  }
  std::sort(out.begin(), out.end(),
            [](const MetricMetadata& a, const MetricMetadata& b) { return a.family < b.family; });
  return out;
}

std::optional<std::pair<int64_t, int64_t>> MetricStore::TimeRange() const {
  std::optional<std::pair<int64_t, int64_t>> range;
  for (const auto& s : shards_) range = MergeTimeRanges(range, s->TimeRange());
  return range;
}

Result<PurgeStats> MetricStore::Purge(const DeletionPlan& plan) {
  PurgeStats total;
  for (auto& s : shards_) {
    SLUICE_ASSIGN_OR_RETURN(PurgeStats one, s->Purge(plan));
    total += one;
  }
  return total;
}

MetricShardStats MetricStore::Stats() const {
  MetricShardStats total;
  for (const auto& s : shards_) {
    MetricShardStats one = s->Stats();
    total.series += one.series;
    total.head_samples += one.head_samples;
    total.head_bytes += one.head_bytes;
  }
  return total;
}

}  // namespace sluice::storage
