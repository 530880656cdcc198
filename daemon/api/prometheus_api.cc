#include "daemon/api/prometheus_api.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_set>
#include <variant>

#include "base/json_writer.h"
#include "base/time_format.h"
#include "daemon/api/ingest_common.h"
#include "daemon/api/prometheus_json.h"
#include "daemon/api/prometheus_params.h"
#include "query/promql_ast_json.h"
#include "query/promql_lexer.h"
#include "query/promql_parser.h"
#include "query/promql_querier.h"
#include "query/selector_parser.h"

namespace sluice::daemon {
namespace {

namespace promql = query::promql;
using namespace promapi;  // NOLINT(google-build-using-namespace): this file is their user
using Clock = std::chrono::steady_clock;

// Retry-After of a 503 when every evaluation thread is busy and the queue is full.
constexpr std::chrono::seconds kRetryAfter{1};

// ---------------------------------------------------------------------------------------------
// Answers.

struct ErrorKind {
  std::string_view type;
  int status;
};
constexpr ErrorKind kBadData{"bad_data", 400};
constexpr ErrorKind kExecution{"execution", 422};
constexpr ErrorKind kTimeout{"timeout", 503};
constexpr ErrorKind kCanceled{"canceled", 503};
constexpr ErrorKind kInternal{"internal", 500};
constexpr ErrorKind kUnavailable{"unavailable", 503};

HttpResponse Error(ErrorKind kind, std::string_view message) {
  HttpResponse r = HttpResponse::JsonError(kind.status, kind.type, message);
  if (kind.type == kUnavailable.type) r = WithRetryAfter(std::move(r), kRetryAfter);
  return r;
}

HttpResponse InvalidParam(std::string_view name, std::string_view message) {
  return Error(kBadData, fmt::format("invalid parameter {}: {}", GoQuote(name), message));
}

// The engine's and storage's errors, as Prometheus' returnAPIError classifies its own.
HttpResponse ErrorFromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kDeadlineExceeded:
      return Error(kTimeout, s.message());
    case StatusCode::kCancelled:
      return Error(kCanceled, s.message());
    case StatusCode::kUnavailable:
      return Error(kUnavailable, s.message());
    case StatusCode::kIoError:
    case StatusCode::kCorruption:
    case StatusCode::kInternal:
      return Error(kInternal, s.message());
    default:
      return Error(kExecution, s.message());
  }
}

// {"status":"success","data":<data>[,"warnings":[...]]}
HttpResponse Success(std::string_view data, const std::vector<std::string>& warnings = {}) {
  std::string body;
  body.reserve(data.size() + 64);
  body.append(R"({"status":"success","data":)");
  body.append(data);
  if (!warnings.empty()) {
    body.append(R"(,"warnings":)");
    AppendStringArray(warnings, &body);
  }
  body.push_back('}');
  return HttpResponse::Json(200, std::move(body));
}

// ---------------------------------------------------------------------------------------------
// Requests.

struct Api {
  PrometheusApiOptions options;
  promql::Engine engine;
};

// What a handler hands to the evaluation thread.
struct ApiRequest {
  QueryParams params;  // form body first, then the URL's, as Go's Request.Form
  std::string tenant;
  std::string label_name;  // the {name} of /api/v1/label/{name}/values, decoded
  Clock::time_point received;
  GoTime now;
  // Turns true when the client closes its connection: the evaluation stops.
  std::shared_ptr<const std::atomic<bool>> client_gone;
};

using Endpoint = HttpResponse (*)(const Api&, const ApiRequest&, const std::atomic<bool>&);

Result<GoTime> TimeParam(const ApiRequest& req, std::string_view name, GoTime default_value) {
  std::string_view text = req.params.Get(name);
  if (text.empty()) return default_value;
  Result<GoTime> t = ParseTime(text);
  if (!t.ok()) {
    return Status::InvalidArgument(
        fmt::format("Invalid time value for '{}': {}", name, t.status().message()));
  }
  return t;
}

// The query's deadline: the tenant's query_timeout from arrival, or the request's shorter
// `timeout` (reaching that one is the client's choice, not a limit hit).
struct Deadline {
  Clock::time_point at;
  bool is_limit = true;
};

Result<Deadline> DeadlineOf(const QueryLimits& limits, const ApiRequest& req) {
  auto limit = std::chrono::duration_cast<Clock::duration>(limits.timeout);
  if (std::string_view text = req.params.Get("timeout"); !text.empty()) {
    SLUICE_ASSIGN_OR_RETURN(int64_t ns, ParseDurationNs(text));
    auto asked = std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns));
    if (asked < limit) return Deadline{req.received + asked, false};
  }
  return Deadline{req.received + limit, true};
}

bool HasSelector(const promql::Expr& expr) {
  struct Visitor {
    bool operator()(const promql::NumberLiteral&) const { return false; }
    bool operator()(const promql::StringLiteral&) const { return false; }
    bool operator()(const promql::VectorSelector&) const { return true; }
    bool operator()(const promql::MatrixSelector&) const { return true; }
    bool operator()(const promql::Subquery& n) const { return HasSelector(*n.expr); }
    bool operator()(const promql::Call& n) const {
      return std::any_of(n.args.begin(), n.args.end(),
                         [](const auto& a) { return HasSelector(*a); });
    }
    bool operator()(const promql::Aggregate& n) const {
      return HasSelector(*n.expr) || (n.param && HasSelector(*n.param));
    }
    bool operator()(const promql::Binary& n) const {
      return HasSelector(*n.lhs) || HasSelector(*n.rhs);
    }
    bool operator()(const promql::Unary& n) const { return HasSelector(*n.expr); }
    bool operator()(const promql::Paren& n) const { return HasSelector(*n.expr); }
  };
  return std::visit(Visitor{}, expr.node);
}

bool IsNameToken(promql::TokenType t) {
  using promql::TokenType;
  return t == TokenType::kIdentifier || t == TokenType::kMetricIdentifier ||
         promql::IsAggregatorToken(t) || promql::IsKeywordToken(t) || t == TokenType::kAnd ||
         t == TokenType::kOr || t == TokenType::kUnless || t == TokenType::kAtan2 ||
         t == TokenType::kStart || t == TokenType::kEnd;
}

// Prometheus reads match[] with its metric-selector grammar, `[name][{matchers}]` and nothing
// more: the first token past that, reported as its parser reports it ("1:4: parse error:
// unexpected \"(\""), or nothing when the text has the selector's shape.
std::optional<Status> SelectorShapeError(std::string_view text) {
  promql::Lexer lexer(text);
  auto next = [&lexer] {
    promql::Token t = lexer.Next();
    while (t.type == promql::TokenType::kComment) t = lexer.Next();
    return t;
  };
  promql::Token t = next();
  if (IsNameToken(t.type)) t = next();
  if (t.type == promql::TokenType::kLeftBrace) {
    do {
      t = next();
    } while (t.type != promql::TokenType::kRightBrace && t.type != promql::TokenType::kEof &&
             t.type != promql::TokenType::kError);
    if (t.type == promql::TokenType::kRightBrace) t = next();
  }
  if (t.type == promql::TokenType::kEof || t.type == promql::TokenType::kError) return std::nullopt;
  size_t line_start = text.rfind('\n', t.pos == 0 ? 0 : t.pos - 1);
  line_start = line_start == std::string_view::npos || t.pos == 0 ? 0 : line_start + 1;
  size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + t.pos, '\n'));
  return Status::InvalidArgument(fmt::format("{}:{}: parse error: unexpected {}", line,
                                             t.pos - line_start + 1, promql::TokenDescription(t)));
}

// match[] selectors, each a bare series selector; every set must have a matcher that does not
// match the empty string (Prometheus' parseMatchersParam).
Result<std::vector<storage::LabelMatchers>> ParseMatcherSets(
    const std::vector<std::string_view>& selectors) {
  std::vector<storage::LabelMatchers> sets;
  for (std::string_view text : selectors) {
    Result<promql::ExprPtr> expr = promql::ParseExpr(text);
    const auto* selector =
        expr.ok() ? std::get_if<promql::VectorSelector>(&(*expr)->node) : nullptr;
    if (selector != nullptr && selector->offset_ms == 0 && !selector->at) {
      sets.push_back(selector->matchers);
      continue;
    }
    if (std::optional<Status> shape = SelectorShapeError(text)) return *shape;
    // What remains are selectors ParseExpr refuses because they match everything ({} or
    // {a=~".*"}): Prometheus parses them here and refuses them below, naming match[].
    Result<storage::LabelMatchers> plain = query::ParseSelector(text);
    if (!plain.ok()) return expr.ok() ? plain.status() : expr.status();
    sets.push_back(std::move(plain).value());
  }
  for (const storage::LabelMatchers& set : sets) {
    if (std::all_of(set.begin(), set.end(), [](const auto& m) { return m.MatchesEmpty(); })) {
      return Status::InvalidArgument("match[] must contain at least one non-empty matcher");
    }
  }
  return sets;
}

std::string_view DocumentedType(promql::ValueType type) {
  switch (type) {
    case promql::ValueType::kScalar:
      return "scalar";
    case promql::ValueType::kVector:
      return "instant vector";
    case promql::ValueType::kMatrix:
      return "range vector";
    case promql::ValueType::kString:
      return "string";
    case promql::ValueType::kNone:
      break;
  }
  return "none";
}

// ---------------------------------------------------------------------------------------------
// Query evaluation.

HttpResponse Evaluate(const Api& api, const ApiRequest& req, const QueryLimits& limits,
                      const Deadline& deadline, const promql::Expr& expr,
                      const promql::QueryParams& params, size_t limit) {
  Clock::time_point started = Clock::now();
  promql::MetricStoreQuerier querier(*api.options.store, req.tenant, limits.max_fetched_series);
  Result<promql::QueryResult> evaluated = api.engine.Execute(expr, params, querier);
  Clock::time_point finished = Clock::now();
  if (!evaluated.ok()) {
    const Status& s = evaluated.status();
    if (s.code() == StatusCode::kResourceExhausted && querier.series_limit_hit()) {
      api.options.limits->CountRefusal(QueryApi::kPrometheus, QueryLimit::kMaxFetchedSeries);
    } else if (s.code() == StatusCode::kDeadlineExceeded && deadline.is_limit) {
      api.options.limits->CountRefusal(QueryApi::kPrometheus, QueryLimit::kTimeout);
      return ErrorFromStatus(Status::DeadlineExceeded(s.message() + " (limits.query_timeout)"));
    }
    return ErrorFromStatus(s);
  }
  promql::QueryResult& r = *evaluated;
  if (r.type == promql::ValueType::kNone) return Error(kInternal, "the query produced no value");
  // Prometheus 3's `limit`: the first series of a vector or matrix, and a warning.
  if (limit > 0 && (r.vector.size() > limit || r.matrix.size() > limit)) {
    if (r.vector.size() > limit) r.vector.resize(limit);
    if (r.matrix.size() > limit) r.matrix.resize(limit);
    r.warnings.emplace_back("results truncated due to limit");
  }
  std::string data;
  data.reserve(EstimateResultBytes(r));
  data.append(R"({"resultType":")");
  data.append(promql::ValueTypeName(r.type));
  data.append(R"(","result":)");
  AppendResult(r, &data);
  if (!req.params.Get("stats").empty()) {
    // The timings Sluice measures, under Prometheus' names, and the samples read.
    auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    fmt::format_to(std::back_inserter(data),
                   R"(,"stats":{{"timings":{{"evalTotalTime":{},"execQueueTime":{},)"
                   R"("execTotalTime":{}}},"samples":{{"totalQueryableSamples":{}}}}})",
                   seconds(finished - started), seconds(started - req.received),
                   seconds(finished - req.received), r.samples_loaded);
  }
  data.push_back('}');
  return Success(data, r.warnings);
}

HttpResponse Query(const Api& api, const ApiRequest& req, const std::atomic<bool>& cancelled) {
  Result<size_t> limit = ParseLimit(req.params.Get("limit"));
  if (!limit.ok()) return InvalidParam("limit", limit.status().message());
  Result<GoTime> ts = TimeParam(req, "time", req.now);
  if (!ts.ok()) return InvalidParam("time", ts.status().message());
  const QueryLimits limits = api.options.limits->For(req.tenant);
  Result<Deadline> deadline = DeadlineOf(limits, req);
  if (!deadline.ok()) return InvalidParam("timeout", deadline.status().message());
  Result<promql::ExprPtr> expr = promql::ParseExpr(req.params.Get("query"));
  if (!expr.ok()) return InvalidParam("query", expr.status().message());
  promql::QueryParams params;
  params.start_ms = params.end_ms = EngineMs(*ts);
  params.deadline = deadline->at;
  params.cancelled = &cancelled;
  params.client_gone = req.client_gone.get();
  return Evaluate(api, req, limits, *deadline, **expr, params, *limit);
}

HttpResponse QueryRange(const Api& api, const ApiRequest& req, const std::atomic<bool>& cancelled) {
  Result<size_t> limit = ParseLimit(req.params.Get("limit"));
  if (!limit.ok()) return InvalidParam("limit", limit.status().message());
  Result<GoTime> start = ParseTime(req.params.Get("start"));
  if (!start.ok()) return InvalidParam("start", start.status().message());
  Result<GoTime> end = ParseTime(req.params.Get("end"));
  if (!end.ok()) return InvalidParam("end", end.status().message());
  if (Before(*end, *start)) {
    return InvalidParam("end", "end timestamp must not be before start time");
  }
  Result<int64_t> step = ParseDurationNs(req.params.Get("step"));
  if (!step.ok()) return InvalidParam("step", step.status().message());
  if (*step <= 0) {
    return InvalidParam(
        "step",
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  // For safety, as Prometheus: enough for 60s resolution over a week or 1h over a year.
  if (SubNs(*end, *start) / *step > 11000) {
    return Error(kBadData,
                 "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
                 "query resolution (?step=XX)");
  }
  const QueryLimits limits = api.options.limits->For(req.tenant);
  Result<Deadline> deadline = DeadlineOf(limits, req);
  if (!deadline.ok()) return InvalidParam("timeout", deadline.status().message());
  Result<promql::ExprPtr> expr = promql::ParseExpr(req.params.Get("query"));
  if (!expr.ok()) return Error(kBadData, expr.status().message());
  promql::ValueType type = promql::TypeOf(**expr);
  if (type != promql::ValueType::kScalar && type != promql::ValueType::kVector) {
    return Error(kBadData,
                 fmt::format("invalid expression type {} for range query, must be Scalar or "
                             "instant Vector",
                             GoQuote(DocumentedType(type))));
  }
  promql::QueryParams params;
  params.start_ms = EngineMs(*start);
  params.end_ms = EngineMs(*end);
  params.step_ms = *step / 1'000'000;
  // Prometheus divides by a zero step here and fails with a Go runtime error.
  if (params.step_ms == 0) {
    return InvalidParam("step", "query resolution steps shorter than 1ms are not supported");
  }
  // Times beyond year 2262 wrap around in Prometheus' engine; an inverted range has no steps.
  if (params.end_ms < params.start_ms) return Success(R"({"resultType":"matrix","result":[]})");
  params.deadline = deadline->at;
  params.cancelled = &cancelled;
  params.client_gone = req.client_gone.get();
  return Evaluate(api, req, limits, *deadline, **expr, params, *limit);
}

// ---------------------------------------------------------------------------------------------
// Metadata endpoints.

// The parameters series, labels and label values share.
struct SeriesQuery {
  size_t limit = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::vector<storage::LabelMatchers> sets;
};

// Reads limit, start, end and match[] into `q`; returns the answer when one is invalid.
// `name_match_param`: whether match[] errors name the parameter (series) or not (labels).
std::optional<HttpResponse> ReadSeriesQuery(const ApiRequest& req, bool name_match_param,
                                            SeriesQuery* q) {
  Result<size_t> limit = ParseLimit(req.params.Get("limit"));
  if (!limit.ok()) return InvalidParam("limit", limit.status().message());
  Result<GoTime> start = TimeParam(req, "start", kMinTime);
  if (!start.ok()) return InvalidParam("start", start.status().message());
  Result<GoTime> end = TimeParam(req, "end", kMaxTime);
  if (!end.ok()) return InvalidParam("end", end.status().message());
  Result<std::vector<storage::LabelMatchers>> sets = ParseMatcherSets(req.params.GetAll("match[]"));
  if (!sets.ok()) {
    return name_match_param ? InvalidParam("match[]", sets.status().message())
                            : Error(kBadData, sets.status().message());
  }
  q->limit = *limit;
  q->start_ms = StorageMs(*start);
  q->end_ms = StorageMs(*end);
  q->sets = std::move(sets).value();
  return std::nullopt;
}

// Keeps the first `limit` items (0: all), with Prometheus' warning when some were dropped.
template <typename T>
std::vector<std::string> Truncate(std::vector<T>* items, size_t limit) {
  if (limit == 0 || items->size() <= limit) return {};
  items->resize(limit);
  return {"results truncated due to limit"};
}

HttpResponse Series(const Api& api, const ApiRequest& req, const std::atomic<bool>&) {
  if (req.params.GetAll("match[]").empty()) {
    return Error(kBadData, "no match[] parameter provided");
  }
  SeriesQuery q;
  if (auto error = ReadSeriesQuery(req, /*name_match_param=*/true, &q)) return std::move(*error);
  std::vector<storage::Labels> series;
  std::unordered_set<uint64_t> seen;  // a series matching several selectors is listed once
  for (const storage::LabelMatchers& set : q.sets) {
    for (storage::SeriesInfo& s :
         api.options.store->Select(req.tenant, set, q.start_ms, q.end_ms)) {
      if (seen.insert((static_cast<uint64_t>(s.shard) << 32) | s.id).second) {
        series.push_back(std::move(s.labels));
      }
    }
  }
  std::sort(series.begin(), series.end());
  std::vector<std::string> warnings = Truncate(&series, q.limit);
  std::string data = "[";
  for (size_t i = 0; i < series.size(); ++i) {
    if (i > 0) data.push_back(',');
    AppendLabels(series[i], &data);
  }
  data.push_back(']');
  return Success(data, warnings);
}

// Sorted, distinct: one set's answer, or the union of several.
template <typename F>
std::vector<std::string> Union(const std::vector<storage::LabelMatchers>& sets, F lookup) {
  if (sets.size() <= 1) return lookup(sets.empty() ? storage::LabelMatchers{} : sets[0]);
  std::vector<std::string> all;
  for (const storage::LabelMatchers& set : sets) {
    std::vector<std::string> part = lookup(set);
    all.insert(all.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

HttpResponse LabelNames(const Api& api, const ApiRequest& req, const std::atomic<bool>&) {
  SeriesQuery q;
  if (auto error = ReadSeriesQuery(req, /*name_match_param=*/false, &q)) return std::move(*error);
  std::vector<std::string> names = Union(q.sets, [&](const storage::LabelMatchers& m) {
    return api.options.store->LabelNames(req.tenant, m, q.start_ms, q.end_ms);
  });
  std::vector<std::string> warnings = Truncate(&names, q.limit);
  std::string data;
  AppendStringArray(names, &data);
  return Success(data, warnings);
}

HttpResponse LabelValues(const Api& api, const ApiRequest& req, const std::atomic<bool>&) {
  if (!storage::IsValidLabelName(req.label_name)) {
    return Error(kBadData, fmt::format("invalid label name: {}", GoQuote(req.label_name)));
  }
  SeriesQuery q;
  if (auto error = ReadSeriesQuery(req, /*name_match_param=*/false, &q)) return std::move(*error);
  std::vector<std::string> values = Union(q.sets, [&](const storage::LabelMatchers& m) {
    return api.options.store->LabelValues(req.tenant, req.label_name, m, q.start_ms, q.end_ms);
  });
  std::vector<std::string> warnings = Truncate(&values, q.limit);
  std::string data;
  AppendStringArray(values, &data);
  return Success(data, warnings);
}

HttpResponse Metadata(const Api& api, const ApiRequest& req, const std::atomic<bool>&) {
  // Prometheus 2.42: a negative limit means none, 0 an empty answer; limit_per_metric <= 0 none.
  int64_t limit = -1;
  int64_t per_metric = -1;
  for (auto [name, target] :
       {std::pair{"limit", &limit}, std::pair{"limit_per_metric", &per_metric}}) {
    std::string_view text = req.params.Get(name);
    if (text.empty()) continue;
    Result<int64_t> v = GoAtoi(text);
    if (!v.ok()) return Error(kBadData, fmt::format("{} must be a number", name));
    *target = *v;
  }
  std::string_view metric = req.params.Get("metric");
  std::string data = "{";
  int64_t families = 0;
  int64_t in_family = 0;
  const storage::MetricMetadata* previous = nullptr;
  std::vector<storage::MetricMetadata> all = api.options.store->Metadata(req.tenant);
  for (const storage::MetricMetadata& m : all) {
    if (!metric.empty() && m.family != metric) continue;
    bool new_family = previous == nullptr || previous->family != m.family;
    if (!new_family && (m == *previous || (per_metric > 0 && in_family >= per_metric))) continue;
    if (new_family) {
      if (limit >= 0 && families >= limit) break;
      if (previous != nullptr) data.append("],");
      data.push_back('"');
      JsonWriter::AppendEscaped(&data, m.family);
      data.append("\":[");
      ++families;
      in_family = 0;
    } else {
      data.push_back(',');
    }
    data.append(R"({"type":")");
    data.append(storage::MetricTypeName(m.type));
    data.append(R"(","help":")");
    JsonWriter::AppendEscaped(&data, m.help);
    data.append(R"(","unit":")");
    JsonWriter::AppendEscaped(&data, m.unit);
    data.append("\"}");
    ++in_family;
    previous = &m;
  }
  if (previous != nullptr) data.push_back(']');
  data.push_back('}');
  return Success(data);
}

HttpResponse QueryExemplars(const Api&, const ApiRequest& req, const std::atomic<bool>&) {
  Result<GoTime> start = TimeParam(req, "start", kMinTime);
  if (!start.ok()) return InvalidParam("start", start.status().message());
  Result<GoTime> end = TimeParam(req, "end", kMaxTime);
  if (!end.ok()) return InvalidParam("end", end.status().message());
  if (Before(*end, *start)) {
    return Error(kBadData, "end timestamp must not be before start timestamp");
  }
  Result<promql::ExprPtr> expr = promql::ParseExpr(req.params.Get("query"));
  if (!expr.ok()) return Error(kBadData, expr.status().message());
  // Prometheus answers a query without selectors with no content at all.
  if (!HasSelector(**expr)) return HttpResponse::Empty(204);
  return Success("[]");  // Sluice drops exemplars at ingest
}

HttpResponse FormatQuery(const Api&, const ApiRequest& req, const std::atomic<bool>&) {
  Result<promql::ExprPtr> expr = promql::ParseExpr(req.params.Get("query"));
  if (!expr.ok()) return InvalidParam("query", expr.status().message());
  std::string data = "\"";
  JsonWriter::AppendEscaped(&data, promql::Pretty(**expr));
  data.push_back('"');
  return Success(data);
}

HttpResponse ParseQuery(const Api&, const ApiRequest& req, const std::atomic<bool>&) {
  Result<promql::ExprPtr> expr = promql::ParseExpr(req.params.Get("query"));
  if (!expr.ok()) return InvalidParam("query", expr.status().message());
  std::string data;
  JsonWriter w(&data);
  promql::WriteAstJson(**expr, &w);
  return Success(data);
}

HttpResponse RuntimeInfo(const Api& api, const ApiRequest&, const std::atomic<bool>&) {
  PrometheusRuntimeInfo info;
  if (api.options.runtime_info) info = api.options.runtime_info();
  std::string cwd(PATH_MAX, '\0');
  if (getcwd(cwd.data(), cwd.size()) == nullptr) cwd.clear();
  cwd.resize(std::strlen(cwd.c_str()));
  std::string data;
  JsonWriter w(&data);
  w.BeginObject();
  w.Key("startTime");
  w.String(FormatRfc3339Nano(info.start_time_unix_ns));
  w.Key("CWD");
  w.String(cwd);
  w.Key("reloadConfigSuccess");
  w.Bool(info.reload_config_success);
  w.Key("lastConfigTime");
  w.String(FormatRfc3339Nano(info.last_config_time_unix_ns));
  w.Key("storageRetention");
  w.String("unlimited");  // Sluice deletes nothing yet
  w.EndObject();
  return Success(data);
}

// ---------------------------------------------------------------------------------------------
// Routing.

Result<ApiRequest> ReadRequest(const Api& api, HttpRequest& request) {
  ApiRequest r;
  r.received = request.received_at == Clock::time_point{} ? Clock::now() : request.received_at;
  int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  r.now = GoUnix(now_ns / kNanosPerSecond, now_ns % kNanosPerSecond);
  bool has_body = request.method == HttpMethod::kPost || request.method == HttpMethod::kPut ||
                  request.method == HttpMethod::kPatch;
  if (has_body &&
      MediaType(request.headers.Get("Content-Type")) == "application/x-www-form-urlencoded") {
    r.params = QueryParams::Parse(request.body);
    r.params.Append(request.params);
  } else {
    r.params = std::move(request.params);
  }
  r.label_name = PercentDecode(request.PathParam("name"), /*plus_is_space=*/false);
  SLUICE_ASSIGN_OR_RETURN(r.tenant, RequestTenant(request, api.options.default_tenant));
  return r;
}

// `on_executor`: the endpoint reads storage or evaluates PromQL, so it runs on the executor.
void AddEndpoint(Router& router, std::initializer_list<HttpMethod> methods, std::string pattern,
                 const std::shared_ptr<const Api>& api, Endpoint endpoint, bool on_executor) {
  router.Add(
      methods, std::move(pattern),
      [api, endpoint, on_executor](HttpRequest request, Responder responder) {
        Result<ApiRequest> req = ReadRequest(*api, request);
        if (!req.ok()) return responder.Send(Error(kBadData, req.status().message()));
        req->client_gone = responder.ClientGone();
        if (!on_executor) {
          std::atomic<bool> never{false};
          return responder.Send(endpoint(*api, *req, never));
        }
        const std::string tenant = req->tenant;
        api->options.executor->Submit(
            MakeQueryTask(
                [api, endpoint, req = std::move(req).value(), responder = std::move(responder)](
                    const Status& admitted, const std::atomic<bool>& cancelled) mutable {
                  if (!admitted.ok()) {
                    if (admitted.code() == StatusCode::kResourceExhausted) {
                      api->options.limits->CountRefusal(QueryApi::kPrometheus,
                                                        QueryLimit::kMaxConcurrentQueries);
                    }
                    responder.Send(Error(kUnavailable, admitted.message()));
                  } else {
                    responder.Send(endpoint(*api, req, cancelled));
                  }
                }),
            tenant);
      });
}

}  // namespace

void RegisterPrometheusApi(Router& router, PrometheusApiOptions options) {
  auto api = std::make_shared<Api>();
  api->engine = promql::Engine(options.engine);
  if (!options.limits) options.limits = std::make_shared<QueryLimitsTable>();
  api->options = std::move(options);
  constexpr auto kGet = HttpMethod::kGet;
  constexpr auto kPost = HttpMethod::kPost;
  AddEndpoint(router, {kGet, kPost}, "/api/v1/query", api, Query, true);
  AddEndpoint(router, {kGet, kPost}, "/api/v1/query_range", api, QueryRange, true);
  AddEndpoint(router, {kGet, kPost}, "/api/v1/series", api, Series, true);
  AddEndpoint(router, {kGet, kPost}, "/api/v1/labels", api, LabelNames, true);
  AddEndpoint(router, {kGet}, "/api/v1/label/{name}/values", api, LabelValues, true);
  AddEndpoint(router, {kGet}, "/api/v1/metadata", api, Metadata, true);
  AddEndpoint(router, {kGet, kPost}, "/api/v1/query_exemplars", api, QueryExemplars, true);
  AddEndpoint(router, {kGet, kPost}, "/api/v1/format_query", api, FormatQuery, true);
  AddEndpoint(router, {kGet, kPost}, "/api/v1/parse_query", api, ParseQuery, true);
  AddEndpoint(router, {kGet}, "/api/v1/status/runtimeinfo", api, RuntimeInfo, false);
}

}  // namespace sluice::daemon
