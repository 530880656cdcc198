// MetricBatch: samples of one tenant on their way from a decoder to the shards.
//
// Decoders add series (canonical label sets) and samples; label bytes go into one arena and
// samples refer to their series by index, so a remote-write request of 2,000 series costs a
// handful of allocations. Not thread-safe; owned by one worker at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/labels.h"

namespace sluice::storage {

struct LabelView {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const LabelView&, const LabelView&) = default;
};

struct Sample {
  int64_t timestamp_ms = 0;
  double value = 0;
};

// Prometheus' metric types (remote write's MetricMetadata.MetricType, same numbers).
enum class MetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateset = 7,
};
std::string_view MetricTypeName(MetricType type);  // "counter", "gauge", ... as Prometheus' API

struct MetricMetadata {
  std::string family;  // metric family name, e.g. "http_requests" or "node_cpu_seconds_total"
  MetricType type = MetricType::kUnknown;
  std::string help;
  std::string unit;
  friend bool operator==(const MetricMetadata&, const MetricMetadata&) = default;
};

// The special NaN Prometheus writes when a series goes stale (value.StaleNaN).
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
bool IsStaleNaN(double v);
double StaleNaN();

struct MetricSeriesRef {
  uint32_t first_label = 0;  // into the batch's label list
  uint32_t label_count = 0;
  uint32_t key_offset = 0;  // its series key, in the batch's arena
  uint32_t key_size = 0;
  uint64_t fingerprint = 0;  // SeriesFingerprint(tenant, key): decides the shard
};

struct MetricSampleRef {
  uint32_t series = 0;  // index into MetricBatch::series()
  int64_t timestamp_ms = 0;
  double value = 0;
};

class MetricBatch {
 public:
  explicit MetricBatch(std::string tenant = {}) { set_tenant(std::move(tenant)); }

  const std::string& tenant() const { return tenant_; }
  void set_tenant(std::string tenant);

  // Adds a series, or finds the identical one already added. `labels` must be canonical: sorted
  // by name, names unique, no empty values (pipeline/metric_validation.h makes them so). The
  // bytes are copied; `labels` may point anywhere.
  uint32_t AddSeries(std::span<const LabelView> labels);
  void AddSample(uint32_t series, int64_t timestamp_ms, double value) {
    samples_.push_back(MetricSampleRef{series, timestamp_ms, value});
  }
  void AddMetadata(MetricMetadata metadata) { metadata_.push_back(std::move(metadata)); }

  const std::vector<MetricSeriesRef>& series() const { return series_; }
  const std::vector<MetricSampleRef>& samples() const { return samples_; }
  const std::vector<MetricMetadata>& metadata() const { return metadata_; }

  // The series key of series `s` (see AppendSeriesKey).
  std::string_view SeriesKey(uint32_t s) const {
    return std::string_view(arena_).substr(series_[s].key_offset, series_[s].key_size);
  }
  // The labels of series `s`, as views into the batch (valid until the next Add or Clear).
  std::span<const LabelView> SeriesLabels(uint32_t s) const;
  Labels SeriesLabelsCopy(uint32_t s) const;

  bool empty() const { return samples_.empty() && metadata_.empty(); }
  void Clear();

 private:
  struct LabelRef {
    uint32_t name_offset, name_size, value_offset, value_size;
  };
  void RefreshViews() const;

  std::string tenant_;
  uint64_t tenant_seed_ = 0;
  std::string arena_;
  std::vector<LabelRef> label_refs_;
  std::vector<MetricSeriesRef> series_;
  static constexpr uint32_t kEmptySlot = UINT32_MAX;
  size_t FreeSlot(uint64_t fingerprint) const;
  std::vector<uint32_t> slots_;  // series indexes by fingerprint, linear probing
  std::vector<MetricSampleRef> samples_;
  std::vector<MetricMetadata> metadata_;
  mutable std::vector<LabelView> views_;  // label_refs_ resolved against arena_
  mutable bool views_stale_ = false;
};

// A series' labels as one string: name 0xFF value 0xFF for each label, in canonical order. 0xFF
// never occurs in a label name (ASCII) nor in UTF-8 text, so the key is unambiguous. It is the
// form the series registry, the WAL and fingerprints use: compared and hashed in one piece.
void AppendSeriesKey(std::span<const LabelView> labels, std::string* out);
// Calls f(name, value) for each label of `key`; false if the key is malformed.
template <typename F>
bool ForEachSeriesLabel(std::string_view key, F f) {
  while (!key.empty()) {
    size_t name_end = key.find('\xff');
    if (name_end == std::string_view::npos) return false;
    size_t value_end = key.find('\xff', name_end + 1);
    if (value_end == std::string_view::npos) return false;
    f(key.substr(0, name_end), key.substr(name_end + 1, value_end - name_end - 1));
    key.remove_prefix(value_end + 1);
  }
  return true;
}
bool ParseSeriesKey(std::string_view key, Labels* out);

// XXH3 of the series key seeded with XXH3 of the tenant: the series' identity, which decides
// its shard. Stable across versions.
uint64_t SeriesFingerprint(std::string_view tenant, std::string_view series_key);

}  // namespace sluice::storage
