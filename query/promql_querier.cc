#include "query/promql_querier.h"

#include <fmt/format.h>

namespace sluice::query::promql {

Status MetricStoreQuerier::Select(const storage::LabelMatchers& matchers, int64_t mint,
                                  int64_t maxt, Matrix* out) {
  std::vector<storage::SeriesInfo> series = store_.Select(tenant_, matchers, mint, maxt);
  selected_ += series.size();
  if (max_series_ > 0 && selected_ > max_series_) {
    return Status::ResourceExhausted(fmt::format(
        "query processing would select more than {} series (limits.max_fetched_series_per_query)",
        max_series_));
  }
  for (storage::SeriesInfo& info : series) {
    samples_.clear();
    SLUICE_RETURN_IF_ERROR(store_.Read(info, mint, maxt, &samples_));
    if (samples_.empty()) continue;
    Series& s = out->emplace_back();
    s.labels = std::move(info.labels);
    s.points.reserve(samples_.size());
    for (const storage::Sample& sample : samples_) {
      s.points.push_back({sample.timestamp_ms, sample.value});
    }
  }
  return Status::Ok();
}

}  // namespace sluice::query::promql
