#include "daemon/api/loki_query_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "base/json_writer.h"
#include "daemon/api/loki_api_common.h"
#include "daemon/api/prometheus_json.h"
#include "query/logql_parser.h"
#include "query/promql_parser.h"
#include "query/selector_parser.h"
#include "query/time_params.h"

namespace sluice::daemon {
namespace {

namespace logql = query::logql;
using namespace lokiapi;  // NOLINT(google-build-using-namespace): this file is their user
using ApiRequest = lokiapi::Request;

constexpr int64_t kDefaultQuerySince = 3600 * kNsPerSecond;
constexpr int64_t kDefaultLabelsSince = 6 * 3600 * kNsPerSecond;
constexpr size_t kDefaultLimit = 100;

struct Api {
  LokiQueryApiOptions options;
  logql::Engine engine;
};

using Endpoint = HttpResponse (*)(const Api&, const ApiRequest&, const std::atomic<bool>&);

// Go's time.Duration.String() for whole seconds and more: 744h0m0s.
std::string GoDuration(int64_t ns) {
  int64_t s = ns / kNsPerSecond;
  return fmt::format("{}h{}m{}s", s / 3600, s / 60 % 60, s % 60);
}

// The tenant's limits checked before a query runs count their refusals here; those checked after
// (the timeout, in AddExecutorEndpoint) count there.
Status CheckQueryLength(const Api& api, const QueryLimits& limits, const TimeRange& range) {
  const int64_t limit = limits.max_query_length.count();
  if (limit > 0 && range.end - range.start > limit) {
    api.options.limits->CountRefusal(QueryApi::kLoki, QueryLimit::kMaxQueryLength);
    return Status::InvalidArgument(
        fmt::format("the query time range exceeds the limit (query length: {}, limit: {}) "
                    "(limits.max_query_length)",
                    GoDuration(range.end - range.start), GoDuration(limit)));
  }
  return Status::Ok();
}

// Loki's max_query_series, over the series of a metric query's result.
Status CheckQuerySeries(const Api& api, const QueryLimits& limits,
                        const logql::QueryResult& result) {
  if (result.is_log || limits.max_query_series == 0) return Status::Ok();
  const query::promql::QueryResult& m = result.metric;
  size_t series = m.type == query::promql::ValueType::kVector ? m.vector.size() : m.matrix.size();
  if (series <= limits.max_query_series) return Status::Ok();
  api.options.limits->CountRefusal(QueryApi::kLoki, QueryLimit::kMaxQuerySeries);
  return logql::TooManySeries(limits.max_query_series);
}

Result<size_t> LimitParam(const Api& api, const QueryLimits& limits, const ApiRequest& req) {
  std::string_view text = req.params.Get("limit");
  if (text.empty()) return kDefaultLimit;
  int64_t limit = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(fmt::format("invalid limit parameter '{}'", text));
  }
  if (limit <= 0) return Status::InvalidArgument("limit must be a positive value");
  if (static_cast<size_t>(limit) > limits.max_entries) {
    api.options.limits->CountRefusal(QueryApi::kLoki, QueryLimit::kMaxEntries);
    return Status::InvalidArgument(fmt::format(
        "max entries limit per query exceeded, limit > max_entries_limit_per_query ({} > {})",
        limit, limits.max_entries));
  }
  return static_cast<size_t>(limit);
}

Result<storage::Direction> DirectionParam(const ApiRequest& req) {
  std::string_view text = req.params.Get("direction");
  if (text.empty() || text == "backward" || text == "BACKWARD")
    return storage::Direction::kBackward;
  if (text == "forward" || text == "FORWARD") return storage::Direction::kForward;
  return Status::InvalidArgument(fmt::format("invalid direction '{}'", text));
}

// ---- Answers ---------------------------------------------------------------------------------

void AppendStats(const logql::QueryStats& stats, std::string* out) {
  const double exec = stats.exec_seconds;
  const double per_second = exec > 0 ? 1 / exec : 0;
  std::string s;
  JsonWriter w(&s);
  w.BeginObject();
  w.Key("summary");
  w.BeginObject();
  w.Key("bytesProcessedPerSecond");
  w.Int(static_cast<int64_t>(static_cast<double>(stats.bytes_processed) * per_second));
  w.Key("linesProcessedPerSecond");
  w.Int(static_cast<int64_t>(static_cast<double>(stats.lines_processed) * per_second));
  w.Key("totalBytesProcessed");
  w.Uint(stats.bytes_processed);
  w.Key("totalLinesProcessed");
  w.Uint(stats.lines_processed);
  w.Key("execTime");
  w.Double(exec);
  w.Key("queueTime");
  w.Double(0);
  w.Key("totalEntriesReturned");
  w.Uint(stats.lines_returned);
  w.EndObject();
  w.EndObject();
  out->append(s);
}

void AppendLabelObject(const storage::Labels& labels, std::string* out) {
  promapi::AppendLabels(labels, out);
}

void AppendStreams(const std::vector<logql::Stream>& streams, bool categorized, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < streams.size(); ++i) {
    const logql::Stream& s = streams[i];
    if (i > 0) out->push_back(',');
    out->append(R"({"stream":)");
    AppendLabelObject(s.labels, out);
    out->append(R"(,"values":[)");
    for (size_t j = 0; j < s.entries.size(); ++j) {
      const logql::Entry& e = s.entries[j];
      if (j > 0) out->push_back(',');
      out->append("[\"");
      out->append(std::to_string(e.timestamp_ns));
      out->append("\",");
      out->push_back('"');
      JsonWriter::AppendEscaped(out, e.line);
      out->push_back('"');
      if (categorized) {
        out->append(",{");
        bool first = true;
        if (!e.structured_metadata.empty()) {
          out->append(R"("structuredMetadata":)");
          AppendLabelObject(e.structured_metadata, out);
          first = false;
        }
        if (!e.parsed.empty()) {
          if (!first) out->push_back(',');
          out->append(R"("parsed":)");
          AppendLabelObject(e.parsed, out);
        }
        out->push_back('}');
      }
      out->push_back(']');
    }
    out->append("]}");
  }
  out->push_back(']');
}

std::string_view ResultType(const logql::QueryResult& r) {
  if (r.is_log) return "streams";
  return query::promql::ValueTypeName(r.metric.type);
}

HttpResponse QueryAnswer(const logql::QueryResult& r, bool categorized) {
  std::string body;
  body.reserve(r.is_log ? 4096 : promapi::EstimateResultBytes(r.metric) + 512);
  body.append(R"({"status":"success","data":{"resultType":")");
  body.append(ResultType(r));
  body.append("\",");
  if (r.is_log && categorized) body.append(R"("encodingFlags":["categorize-labels"],)");
  body.append(R"("result":)");
  if (r.is_log) {
    AppendStreams(r.streams, categorized, &body);
  } else {
    promapi::AppendResult(r.metric, &body);
  }
  body.append(R"(,"stats":)");
  AppendStats(r.stats, &body);
  body.push_back('}');
  std::vector<std::string> warnings = r.warnings;
  for (const std::string& w : r.metric.warnings) warnings.push_back(w);
  if (!warnings.empty()) {
    body.append(R"(,"warnings":)");
    promapi::AppendStringArray(warnings, &body);
  }
  body.push_back('}');
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse StringList(const std::vector<std::string>& items) {
  std::string body = R"({"status":"success","data":)";
  promapi::AppendStringArray(items, &body);
  body.push_back('}');
  return HttpResponse::Json(200, std::move(body));
}

// ---- Endpoints -------------------------------------------------------------------------------

Result<logql::ExprPtr> ParseQuery(const ApiRequest& req) {
  std::string_view text = req.params.Get("query");
  if (text.empty()) return Status::InvalidArgument("query parameter is required");
  return logql::ParseExpr(text);
}

HttpResponse Run(const Api& api, const ApiRequest& req, const QueryLimits& limits,
                 const logql::Expr& expr, logql::QueryParams params,
                 const std::atomic<bool>& cancelled) {
  params.deadline = req.received + std::chrono::duration_cast<Clock::duration>(limits.timeout);
  params.cancelled = &cancelled;
  params.client_gone = req.client_gone.get();
  params.categorize_labels = req.categorize_labels;
  logql::LogStoreReader reader(*api.options.store, req.tenant);
  Result<logql::QueryResult> result = api.engine.Execute(expr, params, reader);
  if (!result.ok()) return ErrorFromStatus(result.status());
  if (Status s = CheckQuerySeries(api, limits, *result); !s.ok()) return ErrorFromStatus(s);
  return QueryAnswer(*result, req.categorize_labels);
}

HttpResponse Query(const Api& api, const ApiRequest& req, const std::atomic<bool>& cancelled) {
  Result<logql::ExprPtr> expr = ParseQuery(req);
  if (!expr.ok()) return ErrorFromStatus(expr.status());
  Result<int64_t> time = TimeParam(req, "time", req.now_ns);
  if (!time.ok()) return ErrorFromStatus(time.status());
  const QueryLimits limits = api.options.limits->For(req.tenant);
  Result<size_t> limit = LimitParam(api, limits, req);
  if (!limit.ok()) return ErrorFromStatus(limit.status());
  Result<storage::Direction> direction = DirectionParam(req);
  if (!direction.ok()) return ErrorFromStatus(direction.status());
  logql::QueryParams params;
  params.limit = *limit;
  params.direction = *direction;
  if (logql::IsLogQuery(**expr)) {
    // Loki answers an instant log query over the hour before `time`.
    params.start_ns = *time - kDefaultQuerySince;
    params.end_ns = *time;
  } else {
    params.start_ns = params.end_ns = *time;
  }
  return Run(api, req, limits, **expr, params, cancelled);
}

HttpResponse QueryRange(const Api& api, const ApiRequest& req, const std::atomic<bool>& cancelled) {
  Result<logql::ExprPtr> expr = ParseQuery(req);
  if (!expr.ok()) return ErrorFromStatus(expr.status());
  Result<TimeRange> range = RangeParams(req, kDefaultQuerySince);
  if (!range.ok()) return ErrorFromStatus(range.status());
  const QueryLimits limits = api.options.limits->For(req.tenant);
  if (Status s = CheckQueryLength(api, limits, *range); !s.ok()) return ErrorFromStatus(s);
  Result<size_t> limit = LimitParam(api, limits, req);
  if (!limit.ok()) return ErrorFromStatus(limit.status());
  Result<storage::Direction> direction = DirectionParam(req);
  if (!direction.ok()) return ErrorFromStatus(direction.status());
  logql::QueryParams params;
  params.start_ns = range->start;
  params.end_ns = range->end;
  params.limit = *limit;
  params.direction = *direction;
  if (std::string_view text = req.params.Get("interval");
      logql::IsLogQuery(**expr) && !text.empty()) {
    Result<int64_t> interval = DurationParam("interval", text);
    if (!interval.ok()) return ErrorFromStatus(interval.status());
    params.interval_ns = std::max<int64_t>(0, *interval);
  }
  if (!logql::IsLogQuery(**expr)) {
    int64_t step = 0;
    if (std::string_view text = req.params.Get("step"); !text.empty()) {
      Result<int64_t> s = DurationParam("step", text);
      if (!s.ok()) return ErrorFromStatus(s.status());
      step = *s;
    } else {
      // Loki's default: the range in 250 steps, at least one second.
      int64_t seconds = std::max<int64_t>(1, (range->end - range->start) / kNsPerSecond / 250);
      step = seconds * kNsPerSecond;
    }
    if (step <= 0) {
      return Error(400,
                   "zero or negative query resolution step widths are not accepted. Try a "
                   "positive integer");
    }
    if ((range->end - range->start) / step > 11000) {
      return Error(400,
                   "exceeded maximum resolution of 11,000 points per timeseries. Try "
                   "decreasing the query resolution (?step=XX)");
    }
    params.step_ns = step;
  }
  return Run(api, req, limits, **expr, params, cancelled);
}

// The stream selector of `query` (labels, label values), or none.
Result<storage::LabelMatchers> OptionalSelector(const ApiRequest& req) {
  std::string_view text = req.params.Get("query");
  if (text.empty()) return storage::LabelMatchers{};
  return query::ParseSelector(text);
}

HttpResponse Labels(const Api& api, const ApiRequest& req, const std::atomic<bool>&) {
  Result<TimeRange> range = RangeParams(req, kDefaultLabelsSince);
  if (!range.ok()) return ErrorFromStatus(range.status());
  Result<storage::LabelMatchers> matchers = OptionalSelector(req);
  if (!matchers.ok()) return ErrorFromStatus(matchers.status());
  return StringList(api.options.store->LabelNames(req.tenant, *matchers, range->start, range->end));
}

HttpResponse LabelValues(const Api& api, const ApiRequest& req, const std::atomic<bool>&) {
  Result<TimeRange> range = RangeParams(req, kDefaultLabelsSince);
  if (!range.ok()) return ErrorFromStatus(range.status());
  Result<storage::LabelMatchers> matchers = OptionalSelector(req);
  if (!matchers.ok()) return ErrorFromStatus(matchers.status());
  return StringList(api.options.store->LabelValues(req.tenant, req.path_name, *matchers,
                                                   range->start, range->end));
}

HttpResponse Series(const Api& api, const ApiRequest& req, const std::atomic<bool>&) {
  Result<TimeRange> range = RangeParams(req, kDefaultLabelsSince);
  if (!range.ok()) return ErrorFromStatus(range.status());
  std::vector<std::string_view> selectors = req.params.GetAll("match[]");
  for (std::string_view s : req.params.GetAll("match")) selectors.push_back(s);
  if (selectors.empty()) selectors.push_back("{}");
  std::set<storage::Labels> found;
  for (std::string_view text : selectors) {
    Result<storage::LabelMatchers> matchers = query::ParseSelector(text);
    if (!matchers.ok()) return ErrorFromStatus(matchers.status());
    for (storage::StreamInfo& s :
         api.options.store->SelectStreams(req.tenant, *matchers, range->start, range->end)) {
      found.insert(std::move(s.labels));
    }
  }
  std::string body = R"({"status":"success","data":[)";
  bool first = true;
  for (const storage::Labels& labels : found) {
    if (!first) body.push_back(',');
    first = false;
    AppendLabelObject(labels, &body);
  }
  body.append("]}");
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse FormatQuery(const Api&, const ApiRequest& req, const std::atomic<bool>&) {
  Result<logql::ExprPtr> expr = ParseQuery(req);
  if (!expr.ok()) return ErrorFromStatus(expr.status());
  std::string body = R"({"status":"success","data":")";
  JsonWriter::AppendEscaped(&body, logql::ToString(**expr));
  body.append("\"}");
  return HttpResponse::Json(200, std::move(body));
}

// ---- Routing ---------------------------------------------------------------------------------

void AddEndpoint(Router& router, std::string pattern, const std::shared_ptr<const Api>& api,
                 Endpoint endpoint) {
  AddExecutorEndpoint(router, std::move(pattern), api->options.executor,
                      api->options.default_tenant, api->options.limits.get(),
                      [api, endpoint](const ApiRequest& req, const std::atomic<bool>& cancelled) {
                        return endpoint(*api, req, cancelled);
                      });
}

}  // namespace

void RegisterLokiQueryApi(Router& router, LokiQueryApiOptions options) {
  auto api = std::make_shared<Api>();
  // Each tenant's max_query_series is checked here, per request, instead.
  logql::EngineOptions engine = options.engine;
  engine.max_series = 0;
  api->engine = logql::Engine(engine);
  if (!options.limits) options.limits = std::make_shared<QueryLimitsTable>();
  api->options = std::move(options);
  AddEndpoint(router, "/loki/api/v1/query", api, Query);
  AddEndpoint(router, "/loki/api/v1/query_range", api, QueryRange);
  for (std::string prefix : {"/loki/api/v1", "/api/prom"}) {
    AddEndpoint(router, prefix + "/labels", api, Labels);
    AddEndpoint(router, prefix + "/label", api, Labels);
    AddEndpoint(router, prefix + "/label/{name}/values", api, LabelValues);
    AddEndpoint(router, prefix + "/series", api, Series);
  }
  AddEndpoint(router, "/loki/api/v1/format_query", api, FormatQuery);
}

}  // namespace sluice::daemon
