#include "storage/metric_batch.h"

#include <algorithm>
#include <bit>
#include <cstring>
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sluice::storage {

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kInfo:
      return "info";
    case MetricType::kStateset:
      return "stateset";
    case MetricType::kUnknown:
      break;
  }
  return "unknown";
}

bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }
double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

uint64_t SeriesFingerprint(std::string_view tenant, std::span<const LabelView> labels) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  static constexpr char kSep = '\xff';  // as StreamFingerprint
  XXH3_64bits_update(&state, tenant.data(), tenant.size());
  XXH3_64bits_update(&state, &kSep, 1);
  for (const LabelView& l : labels) {
    XXH3_64bits_update(&state, l.name.data(), l.name.size());
    XXH3_64bits_update(&state, &kSep, 1);
    XXH3_64bits_update(&state, l.value.data(), l.value.size());
    XXH3_64bits_update(&state, &kSep, 1);
  }
  return XXH3_64bits_digest(&state);
}

uint32_t MetricBatch::AddSeries(std::span<const LabelView> labels) {
  uint64_t fp = SeriesFingerprint(tenant_, labels);
  auto [begin, end] = series_by_fingerprint_.equal_range(fp);
  for (auto it = begin; it != end; ++it) {
    const MetricSeriesRef& other = series_[it->second];
    if (other.label_count != labels.size()) continue;
    bool same = true;
    for (size_t i = 0; same && i < labels.size(); ++i) {
      const LabelRef& r = label_refs_[other.first_label + i];
      same = std::string_view(arena_).substr(r.name_offset, r.name_size) == labels[i].name &&
             std::string_view(arena_).substr(r.value_offset, r.value_size) == labels[i].value;
    }
    if (same) return it->second;
  }
  MetricSeriesRef ref;
  ref.first_label = static_cast<uint32_t>(label_refs_.size());
  ref.label_count = static_cast<uint32_t>(labels.size());
  ref.fingerprint = fp;
  for (const LabelView& l : labels) {
    LabelRef r{};
    r.name_offset = static_cast<uint32_t>(arena_.size());
    r.name_size = static_cast<uint32_t>(l.name.size());
    arena_.append(l.name);
    r.value_offset = static_cast<uint32_t>(arena_.size());
    r.value_size = static_cast<uint32_t>(l.value.size());
    arena_.append(l.value);
    label_refs_.push_back(r);
  }
  views_stale_ = true;
  auto index = static_cast<uint32_t>(series_.size());
  series_.push_back(ref);
  series_by_fingerprint_.emplace(fp, index);
  return index;
}

void MetricBatch::RefreshViews() const {
  views_.resize(label_refs_.size());
  for (size_t i = 0; i < label_refs_.size(); ++i) {
    const LabelRef& r = label_refs_[i];
    views_[i] = LabelView{std::string_view(arena_).substr(r.name_offset, r.name_size),
                          std::string_view(arena_).substr(r.value_offset, r.value_size)};
  }
  views_stale_ = false;
}

std::span<const LabelView> MetricBatch::SeriesLabels(uint32_t s) const {
  if (views_stale_) RefreshViews();
  const MetricSeriesRef& ref = series_[s];
  return std::span<const LabelView>(views_).subspan(ref.first_label, ref.label_count);
}

Labels MetricBatch::SeriesLabelsCopy(uint32_t s) const {
  Labels out;
  for (const LabelView& l : SeriesLabels(s)) {
    out.push_back(Label{std::string(l.name), std::string(l.value)});
  }
  return out;
}

void MetricBatch::Clear() {
  arena_.clear();
  label_refs_.clear();
  series_.clear();
  series_by_fingerprint_.clear();
  samples_.clear();
  metadata_.clear();
  views_.clear();
  views_stale_ = false;
}

}  // namespace sluice::storage
