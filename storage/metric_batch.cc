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

namespace {

constexpr char kKeySeparator = '\xff';

uint64_t TenantSeed(std::string_view tenant) { return XXH3_64bits(tenant.data(), tenant.size()); }

}  // namespace

void AppendSeriesKey(std::span<const LabelView> labels, std::string* out) {
  for (const LabelView& l : labels) {
    out->append(l.name);
    out->push_back(kKeySeparator);
    out->append(l.value);
    out->push_back(kKeySeparator);
  }
}

bool ParseSeriesKey(std::string_view key, Labels* out) {
  out->clear();
  return ForEachSeriesLabel(key, [&](std::string_view name, std::string_view value) {
    out->push_back(Label{std::string(name), std::string(value)});
  });
}

uint64_t SeriesFingerprint(std::string_view tenant, std::string_view series_key) {
  return XXH3_64bits_withSeed(series_key.data(), series_key.size(), TenantSeed(tenant));
}

void MetricBatch::set_tenant(std::string tenant) {
  tenant_ = std::move(tenant);
  tenant_seed_ = TenantSeed(tenant_);
}

uint32_t MetricBatch::AddSeries(std::span<const LabelView> labels) {
  size_t bytes = 0;
  for (const LabelView& l : labels) bytes += l.name.size() + l.value.size() + 2;
  std::string previous;
  if (arena_.size() + bytes > arena_.capacity()) {
    // `labels` may view this very arena (a series derived from one of ours): grow it here and
    // keep the old block alive until they are copied, rather than let append() free it midway.
    previous.reserve(std::max(arena_.size() + bytes, 2 * arena_.capacity()));
    previous.append(arena_);
    arena_.swap(previous);
  }
  // Copy first, as the series key, then hash and look up the copy in one piece; a series
  // already in the batch takes the copy back. One resize and plain copies: this runs for every
  // series of every request.
  size_t key_offset = arena_.size();
  size_t first_label = label_refs_.size();
  arena_.resize(key_offset + bytes);
  char* out = arena_.data() + key_offset;
  auto copy = [&out](std::string_view text) {
    if (!text.empty()) std::memcpy(out, text.data(), text.size());  // data() may be null
    out += text.size();
  };
  for (const LabelView& l : labels) {
    LabelRef r{};
    r.name_offset = static_cast<uint32_t>(out - arena_.data());
    r.name_size = static_cast<uint32_t>(l.name.size());
    copy(l.name);
    *out++ = kKeySeparator;
    r.value_offset = static_cast<uint32_t>(out - arena_.data());
    r.value_size = static_cast<uint32_t>(l.value.size());
    copy(l.value);
    *out++ = kKeySeparator;
    label_refs_.push_back(r);
  }
  std::string_view key = std::string_view(arena_).substr(key_offset);
  uint64_t fp = XXH3_64bits_withSeed(key.data(), key.size(), tenant_seed_);

  if ((series_.size() + 1) * 2 > slots_.size()) {
    // Open addressing, at most half full: one probe per new series, no node allocations.
    slots_.assign(std::max<size_t>(256, slots_.size() * 2), kEmptySlot);
    for (uint32_t i = 0; i < series_.size(); ++i) slots_[FreeSlot(series_[i].fingerprint)] = i;
  }
  size_t mask = slots_.size() - 1;
  size_t slot = fp & mask;
  for (; slots_[slot] != kEmptySlot; slot = (slot + 1) & mask) {
    uint32_t other = slots_[slot];
    if (series_[other].fingerprint == fp && SeriesKey(other) == key) {
      arena_.resize(key_offset);
      label_refs_.resize(first_label);
      return other;
    }
  }
  MetricSeriesRef ref;
  ref.first_label = static_cast<uint32_t>(first_label);
  ref.label_count = static_cast<uint32_t>(labels.size());
  ref.key_offset = static_cast<uint32_t>(key_offset);
  ref.key_size = static_cast<uint32_t>(key.size());
  ref.fingerprint = fp;
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
