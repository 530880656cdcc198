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
  // One-shot XXH3 over the bytes StreamFingerprint streams in: the same value, several times
  // faster than feeding XXH3's streaming state a dozen short pieces.
  static constexpr char kSep = '\xff';
  thread_local std::string scratch;
  scratch.clear();
  scratch.append(tenant);
  scratch.push_back(kSep);
  for (const LabelView& l : labels) {
    scratch.append(l.name);
    scratch.push_back(kSep);
    scratch.append(l.value);
    scratch.push_back(kSep);
  }
  return XXH3_64bits(scratch.data(), scratch.size());
}

uint32_t MetricBatch::AddSeries(std::span<const LabelView> labels) {
  uint64_t fp = SeriesFingerprint(tenant_, labels);
  if ((series_.size() + 1) * 2 > slots_.size()) {
    // Open addressing, at most half full: one probe per new series, no node allocations.
    slots_.assign(std::max<size_t>(256, slots_.size() * 2), kEmptySlot);
    for (uint32_t i = 0; i < series_.size(); ++i) slots_[FreeSlot(series_[i].fingerprint)] = i;
  }
  size_t mask = slots_.size() - 1;
  size_t slot = fp & mask;
  for (; slots_[slot] != kEmptySlot; slot = (slot + 1) & mask) {
    const MetricSeriesRef& other = series_[slots_[slot]];
    if (other.fingerprint != fp || other.label_count != labels.size()) continue;
    bool same = true;
    for (size_t i = 0; same && i < labels.size(); ++i) {
      const LabelRef& r = label_refs_[other.first_label + i];
      same = std::string_view(arena_).substr(r.name_offset, r.name_size) == labels[i].name &&
             std::string_view(arena_).substr(r.value_offset, r.value_size) == labels[i].value;
    }
    if (same) return slots_[slot];
  }
  size_t bytes = 0;
  for (const LabelView& l : labels) bytes += l.name.size() + l.value.size();
  std::string previous;
  if (arena_.size() + bytes > arena_.capacity()) {
    // `labels` may view this very arena (a series derived from one of ours): grow it here and
    // keep the old block alive until they are copied, rather than let append() free it midway.
    previous.reserve(std::max(arena_.size() + bytes, 2 * arena_.capacity()));
    previous.append(arena_);
    arena_.swap(previous);
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
  slots_[slot] = index;
  return index;
}

size_t MetricBatch::FreeSlot(uint64_t fingerprint) const {
  size_t mask = slots_.size() - 1;
  size_t slot = fingerprint & mask;
  while (slots_[slot] != kEmptySlot) slot = (slot + 1) & mask;
  return slot;
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
  std::fill(slots_.begin(), slots_.end(), kEmptySlot);
  samples_.clear();
  metadata_.clear();
  views_.clear();
  views_stale_ = false;
}

}  // namespace sluice::storage
