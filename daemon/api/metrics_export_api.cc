#include "daemon/api/metrics_export_api.h"

#include <algorithm>
#include <limits>
#include <set>

#include "daemon/api/ingest_common.h"
#include "pipeline/decoders/vm_import.h"
#include "query/selector_parser.h"
#include "query/time_params.h"

namespace sluice::daemon {
namespace {

constexpr size_t kChunkBytes = 256 << 10;

class MetricsExportSource final : public BodySource {
 public:
  MetricsExportSource(const storage::MetricStore* store, std::vector<storage::SeriesInfo> series,
                      int64_t start, int64_t end)
      : store_(store), series_(std::move(series)), start_(start), end_(end) {}

  Result<bool> Next(std::string* out) override {
    while (index_ < series_.size() && out->size() < kChunkBytes) {
      const storage::SeriesInfo& s = series_[index_++];
      samples_.clear();
      SLUICE_RETURN_IF_ERROR(store_->Read(s, start_, end_, &samples_));
      if (!samples_.empty()) pipeline::AppendVmExportLine(s.labels, samples_, out);
    }
    return index_ < series_.size();
  }

 private:
  const storage::MetricStore* store_;
  std::vector<storage::SeriesInfo> series_;
  const int64_t start_;
  const int64_t end_;
  size_t index_ = 0;
  std::vector<storage::Sample> samples_;
};

// A time argument in milliseconds: RFC 3339, Unix seconds (with a fraction), or Unix
// milliseconds (an integer of 11 to 13 digits, as VictoriaMetrics also accepts).
Result<int64_t> ParseTimeMs(std::string_view text) {
  bool digits = !text.empty() &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && text.size() >= 11 && text.size() <= 13) return std::stoll(std::string(text));
  Result<int64_t> ns = query::ParseQueryTime(text);
  if (!ns.ok()) return ns.status();
  return *ns / 1'000'000;
}

}  // namespace

void RegisterMetricsExportApi(Router& router, const storage::MetricStore* store,
                              std::string default_tenant) {
  router.Add(
      {HttpMethod::kGet, HttpMethod::kPost}, "/api/v1/export",
      [store, default_tenant = std::move(default_tenant)](HttpRequest request,
                                                          Responder responder) {
        auto bad = [&](std::string_view message) {
          responder.Send(HttpResponse::Text(400, std::string(message) + "\n"));
        };
        Result<std::string> tenant = RequestTenant(request, default_tenant);
        if (!tenant.ok()) return bad(tenant.status().message());
        std::vector<std::string_view> selectors = request.params.GetAll("match[]");
        if (selectors.empty()) selectors = request.params.GetAll("match");
        if (selectors.empty()) {
          return bad("missing match[] argument, e.g. match[]={__name__!=\"\"} for everything");
        }
        int64_t start = std::numeric_limits<int64_t>::min();
        int64_t end = std::numeric_limits<int64_t>::max();
        for (auto [name, target] : {std::pair{"start", &start}, std::pair{"end", &end}}) {
          if (!request.params.Has(name)) continue;
          Result<int64_t> t = ParseTimeMs(request.params.Get(name));
          if (!t.ok()) return bad(std::string(name) + ": " + t.status().message());
          *target = *t;
        }
        // A series matching several selectors is exported once.
        std::vector<storage::SeriesInfo> series;
        std::set<std::pair<size_t, uint32_t>> seen;
        for (std::string_view selector : selectors) {
          Result<storage::LabelMatchers> matchers = query::ParseSelector(selector);
          if (!matchers.ok()) return bad(matchers.status().message());
          for (storage::SeriesInfo& s : store->Select(*tenant, *matchers, start, end)) {
            if (seen.emplace(s.shard, s.id).second) series.push_back(std::move(s));
          }
        }
        HttpResponse response;
        response.headers.Set("Content-Type", "application/stream+json");
        response.stream =
            std::make_shared<MetricsExportSource>(store, std::move(series), start, end);
        responder.Send(std::move(response));
      });
}

}  // namespace sluice::daemon
