// Loki's index and Drilldown endpoints (see the header for the list), with the answers Grafana's
// Loki data source and Logs Drilldown parse:
//
// index/stats: a bare {"streams":N,"chunks":N,"bytes":N,"entries":N} (not wrapped in
//   status/data). `streams` counts the streams the selector selects over the range, `entries` and
//   `bytes` (line bytes) the entries with start <= ts < end, `chunks` the storage blocks holding
//   such entries (a stream's unsealed head counting as one). Loki sums whole chunks from its
//   index; Sluice counts exactly, yet as cheaply: LogStore::StreamStats takes the blocks wholly
//   inside the range from their metadata and decodes only the (at most two per stream) that cross
//   a bound.
//
// index/volume, index/volume_range (Loki's seriesvolume): the line bytes of the selected streams
//   grouped, by default (aggregateBy=series), into series of the labels the selector names (all
//   labels for `{}`), or into the labels of `targetLabels` (comma-separated; each target not in
//   the selector adds `target=~".+"`). aggregateBy=labels gives one series per label name,
//   {"<name>":""}, with the bytes of every stream that has it (only the targets when given).
//   Series are ordered by volume (then name), the top `limit` (default 100) kept per step.
//   volume answers a vector at `end`; volume_range a matrix with one point per step bucket
//   [aligned k*step, (k+1)*step) clipped to [start, end), stamped at the bucket's end (Loki
//   stamps 1 ms earlier, and answers a vector when every series has one point; Sluice always
//   answers a matrix). The bytes are LogStore::StreamStats's, per bucket: exact, from block
//   metadata except for the blocks that cross a bucket bound.
//
// detected_labels: {"detectedLabels":[{"label","cardinality"}]}, the stream labels of the streams
//   matching the (optional) selector, without the labels whose values all look like IDs (numbers
//   or UUIDs; 0/1 pairs are kept), as Loki's querier filters them; cluster, namespace, instance
//   and pod are always kept. Cardinalities are exact.
//
// detected_fields: {"fields":[{"label","type","cardinality","parsers","jsonPath"}],"limit":N}.
//   The query (a LogQL log query; its filters and parsers apply) runs backward for the newest
//   `line_limit` (default 1000) entries; each entry's structured metadata gives fields with
//   "parsers":null, and its line is parsed as JSON, or else as logfmt, with LogQL's own parsers
//   (names flattened and sanitized, `_extracted` after a stream label's name) for fields with
//   "parsers":["json"] or ["logfmt"]; labels the query's parsers added count too. A field's type
//   is detected from its value in each entry, the last entry read deciding, as in Loki: int,
//   float, boolean, duration, bytes or string. JSON fields carry "jsonPath" (the keys leading to
//   the value), others null. At most `limit` (default 1000) fields.
// detected_field/<name>/values: {"values":[...],"limit":N}, the distinct values of that field in
//   the same sample (byte sizes rewritten as Loki does: `10KB` -> `10kB`), at most `limit`.
//
// patterns: Loki answers 404 without a pattern ingester, and Logs Drilldown tolerates it. Sluice
//   clusters the lines itself (see PatternClusterer below) and answers
//   {"status":"success","data":[{"pattern","samples":[[<unix s>,<count>],...],"level"}]}.
//
// Errors are Loki's: plain text, 400 for bad parameters and queries, 504 past the timeout, 499
// when the client left, 503 with Retry-After when the query threads are all busy.
#include "daemon/api/loki_index_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json_writer.h"
#include "daemon/api/ingest_common.h"
#include "daemon/api/loki_api_common.h"
#include "daemon/api/prometheus_json.h"
#include "query/logql_engine.h"
#include "query/logql_label_parsers.h"
#include "query/logql_parser.h"
#include "query/logql_pipeline.h"
#include "query/promql_parser.h"
#include "query/time_params.h"
#include "storage/metadata_codec.h"

namespace sluice::daemon {
namespace {

namespace logql = query::logql;
namespace od = simdjson::ondemand;
using namespace lokiapi;  // NOLINT(google-build-using-namespace): this file is their user
using ApiRequest = lokiapi::Request;

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kDefaultSince = 3600 * kNsPerSecond;  // Loki's bounds(): one hour
constexpr int64_t kDefaultVolumeLimit = 100;            // seriesvolume.DefaultLimit
constexpr int64_t kDefaultFieldLimit = 1000;
constexpr int64_t kDefaultLineLimit = 1000;
constexpr int64_t kMaxPoints = 11000;

// ---- Requests --------------------------------------------------------------------------------

struct Api {
  LokiIndexApiOptions options;
  logql::Engine engine;
};

// The limits of one request's work: the tenant's limits (its query_timeout the deadline), the
// executor stopping, the client leaving.
class Budget {
 public:
  Budget(const QueryLimits& limits, const ApiRequest& req, const std::atomic<bool>& cancelled)
      : limits_(limits),
        deadline_(req.received + std::chrono::duration_cast<Clock::duration>(limits.timeout)),
        cancelled_(cancelled),
        client_gone_(req.client_gone.get()) {}

  // Cheap enough per entry: looks at the clock every 4096 calls. False once over budget.
  bool Tick() {
    if (++ticks_ % 4096 != 0) return status_.ok();
    return Check();
  }
  bool Check() {
    if (!status_.ok()) return false;
    if (cancelled_.load(std::memory_order_relaxed)) {
      status_ = Status::Unavailable("the query was cancelled: the server is stopping");
    } else if (client_gone_ != nullptr && client_gone_->load(std::memory_order_relaxed)) {
      status_ = Status::Cancelled("the client closed the connection");
    } else if (Clock::now() > deadline_) {
      status_ = Status::DeadlineExceeded("the request ran past its timeout");
    }
    return status_.ok();
  }
  const Status& status() const { return status_; }
  const QueryLimits& limits() const { return limits_; }
  Clock::time_point deadline() const { return deadline_; }
  const std::atomic<bool>& cancelled() const { return cancelled_; }
  const std::atomic<bool>* client_gone() const { return client_gone_; }

 private:
  const QueryLimits limits_;
  Clock::time_point deadline_;
  const std::atomic<bool>& cancelled_;
  const std::atomic<bool>* client_gone_;
  uint64_t ticks_ = 0;
  Status status_;
};

using Endpoint = HttpResponse (*)(const Api&, const ApiRequest&, Budget&);

// start, end and since as Loki's bounds() reads them (one hour by default).
Result<TimeRange> RangeParams(const ApiRequest& req) {
  return lokiapi::RangeParams(req, kDefaultSince);
}

// A positive integer parameter; `default_value` when absent (or 0, as Loki's volume limit).
Result<int64_t> PositiveParam(const ApiRequest& req, std::string_view name, int64_t default_value) {
  std::string_view text = req.params.Get(name);
  if (text.empty()) return default_value;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(fmt::format("invalid {} parameter '{}'", name, text));
  }
  if (value == 0) return default_value;
  if (value < 0) return Status::InvalidArgument(fmt::format("{} must be a positive value", name));
  return value;
}

// The step of volume_range (and patterns): a duration or float seconds; by default Loki's
// (the range in 250 steps, at least one second).
Result<int64_t> StepParam(const ApiRequest& req, const TimeRange& range) {
  int64_t step = 0;
  if (std::string_view text = req.params.Get("step"); !text.empty()) {
    SLUICE_ASSIGN_OR_RETURN(step, DurationParam("step", text));
  } else {
    step = std::max<int64_t>(1, (range.end - range.start) / kNsPerSecond / 250) * kNsPerSecond;
  }
  if (step <= 0) {
    return Status::InvalidArgument(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if ((range.end - range.start) / step > kMaxPoints) {
    return Status::InvalidArgument(
        "exceeded maximum resolution of 11,000 points per time series. Try increasing the value "
        "of the step parameter");
  }
  return step;
}

// The stream selector of `query`, as Loki's ParseMatchers(query, validate) reads it. A log query
// with a pipeline (`{app="x"} |= "y"`) is accepted too, for its selector alone.
Result<storage::LabelMatchers> SelectorParam(const ApiRequest& req) {
  std::string_view text = req.params.Get("query");
  if (text.empty()) return Status::InvalidArgument("query parameter is required");
  Result<storage::LabelMatchers> matchers = logql::ParseMatchers(text, /*validate=*/true);
  if (matchers.ok()) return matchers;
  Result<logql::ExprPtr> expr = logql::ParseExpr(text);
  if (expr.ok() && logql::IsLogQuery(**expr)) {
    return std::get<logql::LogSelector>((*expr)->node).matchers;
  }
  return matchers.status();
}

bool IsMatchAll(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  return text.substr(1, text.size() - 2).find_first_not_of(" \t\n") == std::string_view::npos;
}

// Visits the entries of `stream` in [start, end), forward; stops (with the budget's status) when
// the request runs out of budget.
template <typename F>
Status ScanStream(const Api& api, Budget& budget, const storage::StreamInfo& stream, int64_t start,
                  int64_t end, F&& visit) {
  Status s =
      api.options.store->Scan(stream, start, end, storage::Direction::kForward,
                              [&](int64_t ts, std::string_view line, std::string_view metadata) {
                                if (!budget.Tick()) return false;
                                return visit(ts, line, metadata);
                              });
  if (!budget.status().ok()) return budget.status();
  if (s.code() == StatusCode::kNotFound) return Status::Ok();  // dropped since selected
  return s;
}

bool HasLabel(const storage::Labels& labels, std::string_view name) {
  auto it =
      std::lower_bound(labels.begin(), labels.end(), name,
                       [](const storage::Label& l, std::string_view n) { return l.name < n; });
  return it != labels.end() && it->name == name;
}

// Unix seconds as Prometheus writes a sample's time: integer seconds, with the milliseconds as a
// fraction when there are any.
void AppendUnixSeconds(int64_t ns, std::string* out) {
  int64_t ms = ns / kNsPerMs - (ns % kNsPerMs < 0 ? 1 : 0);
  int64_t seconds = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
  int64_t frac = ms - seconds * 1000;
  out->append(std::to_string(seconds));
  if (frac != 0) {
    std::string digits = fmt::format("{:03d}", frac);
    while (digits.back() == '0') digits.pop_back();
    out->push_back('.');
    out->append(digits);
  }
}

void AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  JsonWriter::AppendEscaped(out, s);
  out->push_back('"');
}

// ---- index/stats -----------------------------------------------------------------------------

HttpResponse IndexStats(const Api& api, const ApiRequest& req, Budget& budget) {
  Result<storage::LabelMatchers> matchers = SelectorParam(req);
  if (!matchers.ok()) return ErrorFromStatus(matchers.status());
  Result<TimeRange> range = RangeParams(req);
  if (!range.ok()) return ErrorFromStatus(range.status());
  std::vector<storage::StreamInfo> streams =
      api.options.store->SelectStreams(req.tenant, *matchers, range->start, range->end);
  uint64_t entries = 0, bytes = 0, chunks = 0;
  for (const storage::StreamInfo& stream : streams) {
    if (!budget.Check()) return ErrorFromStatus(budget.status());
    storage::LogStreamStats stats;
    Status s = api.options.store->StreamStats(stream, range->start, range->end, &stats);
    if (!s.ok()) return ErrorFromStatus(s);
    entries += stats.entries;
    bytes += stats.line_bytes;
    chunks += stats.blocks;
  }
  return HttpResponse::Json(
      200, fmt::format(R"({{"streams":{},"chunks":{},"bytes":{},"entries":{}}})", streams.size(),
                       chunks, bytes, entries));
}

// ---- index/volume, index/volume_range --------------------------------------------------------

struct VolumeRequest {
  storage::LabelMatchers matchers;
  std::set<std::string> labels_to_match;
  bool include_all = false;
  bool by_series = true;
  bool has_targets = false;
  size_t limit = kDefaultVolumeLimit;
};

Result<VolumeRequest> ReadVolumeRequest(const ApiRequest& req) {
  VolumeRequest v;
  std::string_view query = req.params.Get("query");
  if (IsMatchAll(query)) {
    v.include_all = true;  // seriesvolume.MatchAny
  } else {
    SLUICE_ASSIGN_OR_RETURN(v.matchers, SelectorParam(req));
  }
  SLUICE_ASSIGN_OR_RETURN(int64_t limit, PositiveParam(req, "limit", kDefaultVolumeLimit));
  v.limit = static_cast<size_t>(limit);
  std::string_view aggregate_by = req.params.Get("aggregateBy");
  if (aggregate_by == "labels") {
    v.by_series = false;
  } else if (!aggregate_by.empty() && aggregate_by != "series") {
    return Status::InvalidArgument("invalid aggregation option");
  }
  // Loki's PrepareLabelsAndMatchers: targets replace the selector's names, and every target the
  // selector does not name must be present.
  std::vector<std::string> targets;
  for (std::string_view rest = req.params.Get("targetLabels"); !rest.empty();) {
    size_t comma = rest.find(',');
    std::string_view t = rest.substr(0, comma);
    if (!t.empty()) targets.emplace_back(t);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (!targets.empty()) {
    v.has_targets = true;
    v.include_all = false;
    for (const std::string& t : targets) {
      v.labels_to_match.insert(t);
      bool named = std::any_of(v.matchers.begin(), v.matchers.end(),
                               [&](const storage::LabelMatcher& m) { return m.name() == t; });
      if (!named) {
        SLUICE_ASSIGN_OR_RETURN(
            storage::LabelMatcher m,
            storage::LabelMatcher::Make(storage::MatchOp::kRegexMatch, t, ".+"));
        v.matchers.push_back(std::move(m));
      }
    }
  } else {
    for (const storage::LabelMatcher& m : v.matchers) v.labels_to_match.insert(m.name());
  }
  return v;
}

// The volume keys one stream adds its bytes to: its series (the labels to match, or all), or,
// aggregating by labels, one {"<name>":""} per label it has.
std::vector<storage::Labels> VolumeKeys(const VolumeRequest& v, const storage::Labels& labels) {
  std::vector<storage::Labels> keys;
  if (v.by_series) {
    storage::Labels key;
    for (const storage::Label& l : labels) {
      if (v.include_all || v.labels_to_match.count(l.name) > 0) key.push_back(l);
    }
    keys.push_back(std::move(key));
  } else {
    for (const storage::Label& l : labels) {
      if (!v.has_targets || v.labels_to_match.count(l.name) > 0) {
        keys.push_back(storage::Labels{{l.name, ""}});
      }
    }
  }
  return keys;
}

struct VolumeSeries {
  storage::Labels metric;
  std::string name;                                  // the metric's text, for ordering ties
  std::vector<std::pair<int64_t, uint64_t>> points;  // (bucket end ns, bytes)
};

HttpResponse Volume(const Api& api, const ApiRequest& req, Budget& budget, bool range_query) {
  Result<VolumeRequest> v = ReadVolumeRequest(req);
  if (!v.ok()) return ErrorFromStatus(v.status());
  Result<TimeRange> range = RangeParams(req);
  if (!range.ok()) return ErrorFromStatus(range.status());

  // Buckets: one for an instant volume; for a range, [k*step, (k+1)*step) aligned to the step
  // and clipped to [start, end).
  int64_t step = range->end - range->start;
  int64_t aligned = range->start;
  size_t buckets = 1;
  if (range_query) {
    Result<int64_t> s = StepParam(req, *range);
    if (!s.ok()) return ErrorFromStatus(s.status());
    step = *s;
    int64_t mod = range->start % step;
    if (mod < 0) mod += step;
    aligned = range->start - mod;
    buckets = range->end > aligned ? static_cast<size_t>((range->end - aligned - 1) / step + 1) : 1;
  }
  auto bucket_end = [&](size_t b) {
    if (!range_query) return range->end;
    return std::min(range->end, aligned + static_cast<int64_t>(b + 1) * step);
  };

  // Each stream's bytes per bucket come from the storage's block metadata (only the blocks that
  // cross a bucket bound are read), in one pass over the stream's blocks.
  std::vector<int64_t> bounds = {range->start};
  for (size_t b = 0; b < buckets; ++b) bounds.push_back(bucket_end(b));
  std::vector<std::map<storage::Labels, uint64_t>> volumes(buckets);
  std::vector<storage::LogStreamStats> stats;
  for (const storage::StreamInfo& stream :
       api.options.store->SelectStreams(req.tenant, v->matchers, range->start, range->end)) {
    if (!budget.Check()) return ErrorFromStatus(budget.status());
    Status s = api.options.store->StreamStats(stream, bounds, &stats);
    if (!s.ok()) return ErrorFromStatus(s);
    std::vector<storage::Labels> keys = VolumeKeys(*v, stream.labels);
    for (size_t b = 0; b < buckets; ++b) {
      if (stats[b].entries == 0) continue;
      for (const storage::Labels& key : keys) volumes[b][key] += stats[b].line_bytes;
    }
  }

  // Per bucket, the top `limit` by volume (then name), as each of Loki's sub-requests keeps.
  std::map<storage::Labels, VolumeSeries> series;
  for (size_t b = 0; b < buckets; ++b) {
    std::vector<std::pair<std::string, const std::pair<const storage::Labels, uint64_t>*>> ranked;
    for (const auto& entry : volumes[b]) {
      ranked.emplace_back(v->by_series ? storage::LabelsToString(entry.first) : entry.first[0].name,
                          &entry);
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      if (a.second->second != b.second->second) return a.second->second > b.second->second;
      return a.first < b.first;
    });
    if (ranked.size() > v->limit) ranked.resize(v->limit);
    for (auto& [name, entry] : ranked) {
      VolumeSeries& vs = series[entry->first];
      if (vs.points.empty()) {
        vs.metric = entry->first;
        vs.name = name;
      }
      vs.points.emplace_back(bucket_end(b), entry->second);
    }
  }
  std::vector<VolumeSeries*> ordered;
  for (auto& [key, vs] : series) ordered.push_back(&vs);
  std::sort(ordered.begin(), ordered.end(), [](const VolumeSeries* a, const VolumeSeries* b) {
    if (a->points[0].second != b->points[0].second) {
      return a->points[0].second > b->points[0].second;
    }
    return a->name < b->name;
  });

  std::string body = R"({"status":"success","data":{"resultType":")";
  body.append(range_query ? "matrix" : "vector");
  body.append(R"(","result":[)");
  for (size_t i = 0; i < ordered.size(); ++i) {
    const VolumeSeries& vs = *ordered[i];
    if (i > 0) body.push_back(',');
    body.append(R"({"metric":)");
    promapi::AppendLabels(vs.metric, &body);
    body.append(range_query ? R"(,"values":[)" : R"(,"value":)");
    for (size_t j = 0; j < vs.points.size(); ++j) {
      if (j > 0) body.push_back(',');
      body.push_back('[');
      AppendUnixSeconds(vs.points[j].first, &body);
      body.append(",\"");
      body.append(std::to_string(vs.points[j].second));
      body.append("\"]");
    }
    body.append(range_query ? "]}" : "}");
  }
  body.append("]}}");
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse IndexVolume(const Api& api, const ApiRequest& req, Budget& budget) {
  return Volume(api, req, budget, /*range_query=*/false);
}

HttpResponse IndexVolumeRange(const Api& api, const ApiRequest& req, Budget& budget) {
  return Volume(api, req, budget, /*range_query=*/true);
}

// ---- detected_labels -------------------------------------------------------------------------

// Go's uuid.Parse: 8-4-4-4-12 hex digits, optionally in braces or after `urn:uuid:`, or 32 hex
// digits.
bool IsUuid(std::string_view s) {
  auto hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  if (s.size() == 32) return std::all_of(s.begin(), s.end(), hex);
  if (s.size() == 45 && s.substr(0, 9) == "urn:uuid:") s.remove_prefix(9);
  if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !hex(s[i])) return false;
  }
  return true;
}

// Loki's containsAllIDTypes: every value a number (strconv.ParseFloat) or a UUID.
bool AllIds(const std::set<std::string>& values) {
  std::string error;
  for (const std::string& v : values) {
    double d = 0;
    if (!logql::ParseGoFloat(v, &d, &error) && !IsUuid(v)) return false;
  }
  return true;
}

// Loki's shouldRejectLabel.
bool RejectLabel(const std::set<std::string>& values) {
  if (values.empty()) return true;
  if (values.size() > 2) return AllIds(values);
  for (const std::string& v : values) {
    if (v != "0" && v != "1") return AllIds(values);
  }
  return false;
}

HttpResponse DetectedLabels(const Api& api, const ApiRequest& req, Budget& budget) {
  storage::LabelMatchers matchers;
  std::string_view query = req.params.Get("query");
  if (!query.empty() && !IsMatchAll(query)) {
    Result<storage::LabelMatchers> m = SelectorParam(req);
    if (!m.ok()) return ErrorFromStatus(m.status());
    matchers = std::move(m).value();
  }
  Result<TimeRange> range = RangeParams(req);
  if (!range.ok()) return ErrorFromStatus(range.status());
  std::map<std::string, std::set<std::string>> values;
  for (const storage::StreamInfo& stream :
       api.options.store->SelectStreams(req.tenant, matchers, range->start, range->end)) {
    if (!budget.Tick()) return ErrorFromStatus(budget.status());
    for (const storage::Label& l : stream.labels) values[l.name].insert(l.value);
  }
  static const std::set<std::string_view> kStatic = {"cluster", "namespace", "instance", "pod"};
  std::string body = R"({"detectedLabels":[)";
  bool first = true;
  for (const auto& [name, vals] : values) {
    bool keep = kStatic.count(name) > 0 ? !vals.empty() : !RejectLabel(vals);
    if (!keep) continue;
    if (!first) body.push_back(',');
    first = false;
    body.append(R"({"label":)");
    AppendString(name, &body);
    body.append(fmt::format(R"(,"cardinality":{}}})", vals.size()));
  }
  body.append("]}");
  return HttpResponse::Json(200, std::move(body));
}

// ---- detected_fields, detected_field/<name>/values -------------------------------------------

// strconv.ParseInt(s, 10, 64).
bool IsGoInt(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return false;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

// strconv.ParseBool.
bool IsGoBool(std::string_view s) {
  static constexpr std::string_view kBools[] = {"1", "t", "T", "TRUE",  "true",  "True",
                                                "0", "f", "F", "FALSE", "false", "False"};
  return std::find(std::begin(kBools), std::end(kBools), s) != std::end(kBools);
}

// Loki's determineType: the first conversion that accepts the value.
std::string_view DetermineType(std::string_view v) {
  if (IsGoInt(v)) return "int";
  std::string error;
  double d = 0;
  if (logql::ParseGoFloat(v, &d, &error)) return "float";
  if (IsGoBool(v)) return "boolean";
  int64_t ns = 0;
  if (logql::ParseGoDuration(v, &ns, &error)) return "duration";
  uint64_t bytes = 0;
  if (logql::ParseHumanBytes(v, &bytes, &error)) return "bytes";
  return "string";
}

// go-humanize's Bytes (SI units) without its space: 15000 -> "15kB", 1500 -> "1.5kB".
std::string HumanizeBytes(uint64_t s) {
  if (s < 10) return fmt::format("{}B", s);
  static constexpr std::string_view kSizes[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double e = std::floor(std::log(static_cast<double>(s)) / std::log(1000.0));
  size_t index = std::min<size_t>(static_cast<size_t>(e), std::size(kSizes) - 1);
  double val =
      std::floor(static_cast<double>(s) / std::pow(1000.0, static_cast<double>(index)) * 10 + 0.5) /
      10;
  return val < 10 ? fmt::format("{:.1f}{}", val, kSizes[index])
                  : fmt::format("{:.0f}{}", val, kSizes[index]);
}

// What detected_field/<name>/values answers for a parsed value: byte sizes normalized so that
// they can go into a query as they are (Loki's allowedBytesUnits check).
std::string NormalizeFieldValue(std::string_view v) {
  static constexpr std::string_view kUnits[] = {
      "b",  "kib", "kb", "mib", "mb", "gib", "gb", "tib", "tb", "pib", "pb", "eib", "eb",
      "ki", "k",   "mi", "m",   "gi", "g",   "ti", "t",   "pi", "p",   "ei", "e"};
  uint64_t bytes = 0;
  std::string error;
  if (!logql::ParseHumanBytes(v, &bytes, &error)) return std::string(v);
  std::string lower(v);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view unit : kUnits) {
    if (lower.size() >= unit.size() &&
        lower.compare(lower.size() - unit.size(), unit.size(), unit) == 0) {
      return HumanizeBytes(bytes);
    }
  }
  return std::string(v);
}

bool IsErrorLabel(std::string_view name) {
  return name == "__error__" || name == "__error_details__" || name == "__preserve_error__";
}

using JsonPaths = std::map<std::string, std::vector<std::string>, std::less<>>;

// The key path of every label LogQL's `| json` makes from `object`, under the names it gives
// them (logql_label_parsers.cc JsonParser: nested objects flattened with `_`, arrays and nulls
// skipped, `_extracted` after a stream label's name).
simdjson::error_code CollectJsonPaths(od::object object, const storage::Labels& stream,
                                      std::string* prefix, std::vector<std::string>* path,
                                      JsonPaths* out) {
  for (auto field_result : object) {
    od::field field;
    std::string_view key;
    od::json_type type;
    if (auto e = std::move(field_result).get(field)) return e;
    if (auto e = field.unescaped_key().get(key)) return e;
    od::value value = field.value();
    if (auto e = value.type().get(type)) return e;
    if (type == od::json_type::array || type == od::json_type::null) continue;
    path->emplace_back(key);
    if (type == od::json_type::object) {
      size_t length = prefix->size();
      if (!prefix->empty()) prefix->push_back('_');
      logql::AppendSanitizedJsonKey(key, prefix);
      od::object inner;
      simdjson::error_code e = value.get_object().get(inner);
      if (!e) e = CollectJsonPaths(inner, stream, prefix, path, out);
      prefix->resize(length);
      path->pop_back();
      if (e) return e;
      continue;
    }
    std::string name;
    if (prefix->empty()) {
      logql::AppendSanitizedLabelKey(key, true, &name);
    } else {
      name = *prefix;
      name.push_back('_');
      logql::AppendSanitizedJsonKey(key, &name);
    }
    if (!name.empty()) {
      if (HasLabel(stream, name)) name.append(logql::kExtractedSuffix);
      out->emplace(std::move(name), *path);
    }
    path->pop_back();
  }
  return simdjson::SUCCESS;
}

struct FieldStats {
  std::string_view type = "string";
  std::vector<std::string> parsers;
  std::optional<std::vector<std::string>> json_path;
  std::set<std::string> values;
};

// Detects the fields of sampled entries as Loki's parseDetectedFields does.
class FieldDetector {
 public:
  // `name`: collect only that field's values (detected_field/<name>/values), up to `limit`.
  FieldDetector(size_t limit, std::string name)
      : limit_(limit),
        only_(std::move(name)),
        json_(MakeParser(logql::ParserKind::kJson)),
        logfmt_(MakeParser(logql::ParserKind::kLogfmt)) {}

  void Add(const storage::Labels& stream, const logql::Entry& entry) {
    if (!only_.empty() && values_.size() >= limit_) return;
    for (const storage::Label& l : entry.structured_metadata) {
      if (!only_.empty()) {
        if (l.name == only_) values_.insert(l.value);
        continue;
      }
      FieldStats* f = Field(l.name, {});
      if (f == nullptr) continue;
      f->type = DetermineType(l.value);
      f->values.insert(l.value);
    }

    // The labels the query's own parsers added, then those of parsing the line as JSON or logfmt.
    std::map<std::string, std::set<std::string>> parsed;
    for (const storage::Label& l : entry.parsed) {
      if (!IsErrorLabel(l.name)) parsed[l.name].insert(l.value);
    }
    std::string_view parser;
    builder_.Reset(stream);
    std::string_view line_out;
    json_->Process(entry.line, builder_, scratch_, &line_out);
    parser = "json";
    if (builder_.HasError()) {
      builder_.Reset(stream);
      logfmt_->Process(entry.line, builder_, scratch_, &line_out);
      parser = builder_.HasError() ? std::string_view() : "logfmt";
    }
    if (!parser.empty()) {
      storage::Labels stream_out, metadata, detected;
      builder_.MaterializeCategorized(&stream_out, &metadata, &detected);
      for (storage::Label& l : detected) {
        if (!IsErrorLabel(l.name)) parsed[l.name].insert(std::move(l.value));
      }
    }

    if (!only_.empty()) {
      if (auto it = parsed.find(only_); it != parsed.end()) {
        for (const std::string& v : it->second) values_.insert(NormalizeFieldValue(v));
      }
      return;
    }
    JsonPaths paths;
    if (parser == "json") Paths(stream, entry.line, &paths);
    std::vector<std::string> parsers;
    if (!parser.empty()) parsers.emplace_back(parser);
    for (auto& [name, vals] : parsed) {
      FieldStats* f = Field(name, parsers);
      if (f == nullptr) continue;
      for (const std::string& p : parsers) {
        if (std::find(f->parsers.begin(), f->parsers.end(), p) == f->parsers.end()) {
          f->parsers.push_back(p);
        }
      }
      if (!f->json_path) {
        if (auto it = paths.find(name); it != paths.end()) f->json_path = it->second;
      }
      f->type = DetermineType(*vals.begin());
      f->values.insert(vals.begin(), vals.end());
    }
  }

  std::string FieldsAnswer() const {
    std::string body = R"({"fields":[)";
    bool first = true;
    for (const auto& [name, f] : fields_) {
      if (!first) body.push_back(',');
      first = false;
      body.append(R"({"label":)");
      AppendString(name, &body);
      body.append(R"(,"type":")");
      body.append(f.type);
      body.append(fmt::format(R"(","cardinality":{},"parsers":)", f.values.size()));
      if (f.parsers.empty()) {
        body.append("null");
      } else {
        promapi::AppendStringArray(f.parsers, &body);
      }
      body.append(R"(,"jsonPath":)");
      if (f.json_path) {
        promapi::AppendStringArray(*f.json_path, &body);
      } else {
        body.append("null");
      }
      body.push_back('}');
    }
    body.append(fmt::format(R"(],"limit":{}}})", limit_));
    return body;
  }

  std::string ValuesAnswer() const {
    std::string body = R"({"values":)";
    std::vector<std::string> values(values_.begin(), values_.end());
    if (values.size() > limit_) values.resize(limit_);
    promapi::AppendStringArray(values, &body);
    body.append(fmt::format(R"(,"limit":{}}})", limit_));
    return body;
  }

 private:
  static std::unique_ptr<logql::LineParser> MakeParser(logql::ParserKind kind) {
    logql::Parser p;
    p.kind = kind;
    Result<std::unique_ptr<logql::LineParser>> parser = logql::CompileLineParser(p);
    return parser.ok() ? std::move(parser).value() : nullptr;
  }

  FieldStats* Field(const std::string& name, const std::vector<std::string>& parsers) {
    auto it = fields_.find(name);
    if (it != fields_.end()) return &it->second;
    if (fields_.size() >= limit_) return nullptr;
    FieldStats& f = fields_[name];
    f.parsers = parsers;
    return &f;
  }

  void Paths(const storage::Labels& stream, std::string_view line, JsonPaths* out) {
    padded_.assign(line.data(), line.size());
    padded_.resize(line.size() + simdjson::SIMDJSON_PADDING);
    od::document doc;
    od::object object;
    simdjson::error_code e =
        json_paths_
            .iterate(simdjson::padded_string_view(padded_.data(), line.size(), padded_.size()))
            .get(doc);
    if (!e) e = doc.get_object().get(object);
    std::string prefix;
    std::vector<std::string> path;
    if (!e) CollectJsonPaths(object, stream, &prefix, &path, out);
  }

  const size_t limit_;
  const std::string only_;
  std::unique_ptr<logql::LineParser> json_, logfmt_;
  logql::LabelsBuilder builder_;
  logql::ParserScratch scratch_;
  od::parser json_paths_;
  std::string padded_;
  std::map<std::string, FieldStats> fields_;
  std::set<std::string> values_;
};

HttpResponse Detect(const Api& api, const ApiRequest& req, Budget& budget, bool values_only) {
  std::string_view text = req.params.Get("query");
  if (text.empty()) return Error(400, "query parameter is required");
  Result<logql::ExprPtr> expr = logql::ParseExpr(text);
  if (!expr.ok()) return ErrorFromStatus(expr.status());
  if (!logql::IsLogQuery(**expr)) {
    return Error(400,
                 "only log queries are supported: a stream selector with an optional "
                 "pipeline, such as {app=\"x\"} | json");
  }
  Result<TimeRange> range = RangeParams(req);
  if (!range.ok()) return ErrorFromStatus(range.status());
  Result<int64_t> limit = PositiveParam(
      req, req.params.Has("field_limit") ? "field_limit" : "limit", kDefaultFieldLimit);
  if (!limit.ok()) return ErrorFromStatus(limit.status());
  Result<int64_t> line_limit = PositiveParam(req, "line_limit", kDefaultLineLimit);
  if (!line_limit.ok()) return ErrorFromStatus(line_limit.status());
  if (static_cast<size_t>(*line_limit) > budget.limits().max_entries) {
    api.options.limits->CountRefusal(QueryApi::kLoki, QueryLimit::kMaxEntries);
    return Error(400, fmt::format("max entries limit per query exceeded, limit > "
                                  "max_entries_limit_per_query ({} > {})",
                                  *line_limit, budget.limits().max_entries));
  }

  // The newest line_limit entries the query keeps, with their labels apart, as Loki's
  // detected-fields handler asks its queriers for them.
  logql::QueryParams params;
  params.start_ns = range->start;
  params.end_ns = range->end;
  params.limit = static_cast<size_t>(*line_limit);
  params.direction = storage::Direction::kBackward;
  params.categorize_labels = true;
  params.deadline = budget.deadline();
  params.cancelled = &budget.cancelled();
  params.client_gone = budget.client_gone();
  logql::LogStoreReader reader(*api.options.store, req.tenant);
  Result<logql::QueryResult> result = api.engine.Execute(**expr, params, reader);
  if (!result.ok()) return ErrorFromStatus(result.status());

  // Loki reads the streams in label order, each newest first; the last entry read decides a
  // field's type.
  std::vector<std::pair<std::string, const logql::Stream*>> streams;
  for (const logql::Stream& s : result->streams) {
    streams.emplace_back(storage::LabelsToString(s.labels), &s);
  }
  std::sort(streams.begin(), streams.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  FieldDetector detector(static_cast<size_t>(*limit), values_only ? req.path_name : std::string());
  for (const auto& [key, s] : streams) {
    for (const logql::Entry& e : s->entries) detector.Add(s->labels, e);
  }
  return HttpResponse::Json(200, values_only ? detector.ValuesAnswer() : detector.FieldsAnswer());
}

HttpResponse DetectedFields(const Api& api, const ApiRequest& req, Budget& budget) {
  return Detect(api, req, budget, /*values_only=*/false);
}

HttpResponse DetectedFieldValues(const Api& api, const ApiRequest& req, Budget& budget) {
  if (req.path_name.empty()) return Error(400, "a field name is required");
  return Detect(api, req, budget, /*values_only=*/true);
}

// ---- patterns --------------------------------------------------------------------------------

// Log lines clustered into patterns the way Loki's pattern ingester does (a simplified Drain:
// pkg/pattern/drain), over the lines themselves rather than an ingester's memory:
//   - a line is split at spaces, and `key=value` words into `key=` and `value` (printed without
//     the space), so that logfmt values vary apart from their keys;
//   - lines of one level with the same number of tokens and the same first token (unless it has a
//     digit) are candidates for the same cluster; a line joins the candidate it shares most tokens
//     with, when at least 30 % of its tokens (Drain's similarity threshold) are equal, and the
//     tokens that differ become `<_>`; otherwise it starts a cluster;
//   - runs of `<_>` separated by spaces print as one.
// The level is the stream's `detected_level` or `level` label, else the entry's structured
// metadata of that name, else "unknown". Samples count lines per step, stamped at the step's
// start (whole seconds). Lines beyond kMaxPatternTokens tokens are cut there; at most
// kMaxClusters clusters are kept (lines that fit none of them are not counted).
constexpr size_t kMaxPatternTokens = 128;
constexpr size_t kMaxClusters = 1000;
constexpr double kSimilarity = 0.3;
constexpr std::string_view kPlaceholder = "<_>";

struct PatternToken {
  std::string text;
  bool glued = false;  // no space before it
};

struct Cluster {
  std::string level;
  std::vector<PatternToken> tokens;
  std::map<int64_t, uint64_t> samples;  // step start (s) -> lines
  uint64_t total = 0;
};

class PatternClusterer {
 public:
  void Add(std::string_view level, std::string_view line, int64_t bucket_s) {
    Tokenize(line);
    if (tokens_.empty()) return;
    std::string key(level);
    key.push_back('\0');
    key.append(std::to_string(tokens_.size()));
    key.push_back('\0');
    const std::string& first = tokens_[0].text;
    bool has_digit =
        std::any_of(first.begin(), first.end(), [](char c) { return c >= '0' && c <= '9'; });
    key.append(has_digit ? std::string(kPlaceholder) : first);
    std::vector<size_t>& candidates = groups_[key];

    Cluster* best = nullptr;
    double best_sim = -1;
    size_t best_params = 0;
    for (size_t index : candidates) {
      Cluster& c = clusters_[index];
      size_t equal = 0, params = 0;
      for (size_t i = 0; i < tokens_.size(); ++i) {
        if (c.tokens[i].text == kPlaceholder) {
          ++params;
        } else if (c.tokens[i].text == tokens_[i].text) {
          ++equal;
        }
      }
      double sim = static_cast<double>(equal) / static_cast<double>(tokens_.size());
      if (sim > best_sim || (sim == best_sim && params > best_params)) {
        best = &c;
        best_sim = sim;
        best_params = params;
      }
    }
    if (best != nullptr && best_sim >= kSimilarity) {
      for (size_t i = 0; i < tokens_.size(); ++i) {
        if (best->tokens[i].text != tokens_[i].text) best->tokens[i].text = kPlaceholder;
      }
    } else {
      if (clusters_.size() >= kMaxClusters) return;
      candidates.push_back(clusters_.size());
      clusters_.push_back(Cluster{std::string(level), tokens_, {}, 0});
      best = &clusters_.back();
    }
    ++best->samples[bucket_s];
    ++best->total;
  }

  std::string Answer() const {
    std::vector<std::string> patterns;
    patterns.reserve(clusters_.size());
    for (const Cluster& c : clusters_) patterns.push_back(Print(c));
    std::vector<size_t> order(clusters_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (clusters_[a].total != clusters_[b].total) return clusters_[a].total > clusters_[b].total;
      return patterns[a] < patterns[b];
    });
    std::string body = R"({"status":"success","data":[)";
    for (size_t n = 0; n < order.size(); ++n) {
      const Cluster& c = clusters_[order[n]];
      if (n > 0) body.push_back(',');
      body.append(R"({"pattern":)");
      AppendString(patterns[order[n]], &body);
      body.append(R"(,"samples":[)");
      bool first = true;
      for (const auto& [ts, count] : c.samples) {
        if (!first) body.push_back(',');
        first = false;
        body.append(fmt::format("[{},{}]", ts, count));
      }
      body.append(R"(],"level":)");
      AppendString(c.level, &body);
      body.push_back('}');
    }
    body.append("]}");
    return body;
  }

 private:
  void Tokenize(std::string_view line) {
    tokens_.clear();
    size_t i = 0;
    while (i < line.size() && tokens_.size() < kMaxPatternTokens) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t begin = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
      if (begin == i) break;
      std::string_view word = line.substr(begin, i - begin);
      size_t eq = word.find('=');
      if (eq != std::string_view::npos && eq > 0 && eq + 1 < word.size()) {
        tokens_.push_back(PatternToken{std::string(word.substr(0, eq + 1)), false});
        tokens_.push_back(PatternToken{std::string(word.substr(eq + 1)), true});
      } else {
        tokens_.push_back(PatternToken{std::string(word), false});
      }
    }
    if (tokens_.size() > kMaxPatternTokens) tokens_.resize(kMaxPatternTokens);
  }

  static std::string Print(const Cluster& c) {
    std::string out;
    bool last_placeholder = false;
    for (size_t i = 0; i < c.tokens.size(); ++i) {
      const PatternToken& t = c.tokens[i];
      bool placeholder = t.text == kPlaceholder;
      if (placeholder && last_placeholder && !t.glued) continue;  // `<_> <_>` prints as `<_>`
      if (i > 0 && !t.glued) out.push_back(' ');
      out.append(t.text);
      last_placeholder = placeholder;
    }
    return out;
  }

  std::vector<PatternToken> tokens_;
  std::vector<Cluster> clusters_;
  std::map<std::string, std::vector<size_t>> groups_;
};

std::string_view EntryLevel(const storage::Labels& stream, std::string_view metadata,
                            std::vector<std::pair<std::string_view, std::string_view>>* pairs) {
  for (std::string_view name : {"detected_level", "level"}) {
    if (HasLabel(stream, name)) return storage::LabelValue(stream, name);
  }
  pairs->clear();
  if (!metadata.empty() && storage::DecodeMetadata(metadata, pairs)) {
    for (std::string_view name : {"detected_level", "level"}) {
      for (const auto& [n, v] : *pairs) {
        if (n == name && !v.empty()) return v;
      }
    }
  }
  return "unknown";
}

HttpResponse Patterns(const Api& api, const ApiRequest& req, Budget& budget) {
  Result<storage::LabelMatchers> matchers = SelectorParam(req);
  if (!matchers.ok()) return ErrorFromStatus(matchers.status());
  Result<TimeRange> range = RangeParams(req);
  if (!range.ok()) return ErrorFromStatus(range.status());
  Result<int64_t> step = StepParam(req, *range);
  if (!step.ok()) return ErrorFromStatus(step.status());
  // Samples are stamped in whole seconds.
  int64_t step_s = std::max<int64_t>(1, *step / kNsPerSecond);
  PatternClusterer clusterer;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const storage::StreamInfo& stream :
       api.options.store->SelectStreams(req.tenant, *matchers, range->start, range->end)) {
    Status s = ScanStream(api, budget, stream, range->start, range->end,
                          [&](int64_t ts, std::string_view line, std::string_view metadata) {
                            int64_t seconds = ts / kNsPerSecond - (ts % kNsPerSecond < 0 ? 1 : 0);
                            int64_t mod = seconds % step_s;
                            if (mod < 0) mod += step_s;
                            clusterer.Add(EntryLevel(stream.labels, metadata, &pairs), line,
                                          seconds - mod);
                            return true;
                          });
    if (!s.ok()) return ErrorFromStatus(s);
  }
  return HttpResponse::Json(200, clusterer.Answer());
}

// ---- Routing ---------------------------------------------------------------------------------

void AddEndpoint(Router& router, std::string pattern, const std::shared_ptr<const Api>& api,
                 Endpoint endpoint) {
  AddExecutorEndpoint(router, std::move(pattern), api->options.executor,
                      api->options.default_tenant, api->options.limits.get(),
                      [api, endpoint](const ApiRequest& req, const std::atomic<bool>& cancelled) {
                        Budget budget(api->options.limits->For(req.tenant), req, cancelled);
                        return endpoint(*api, req, budget);
                      });
}

}  // namespace

void RegisterLokiIndexApi(Router& router, LokiIndexApiOptions options) {
  auto api = std::make_shared<Api>();
  if (!options.limits) options.limits = std::make_shared<QueryLimitsTable>();
  api->options = std::move(options);
  AddEndpoint(router, "/loki/api/v1/index/stats", api, IndexStats);
  AddEndpoint(router, "/loki/api/v1/index/volume", api, IndexVolume);
  AddEndpoint(router, "/loki/api/v1/index/volume_range", api, IndexVolumeRange);
  AddEndpoint(router, "/loki/api/v1/detected_labels", api, DetectedLabels);
  AddEndpoint(router, "/loki/api/v1/detected_fields", api, DetectedFields);
  AddEndpoint(router, "/loki/api/v1/detected_field/{name}/values", api, DetectedFieldValues);
  AddEndpoint(router, "/loki/api/v1/patterns", api, Patterns);
}

}  // namespace sluice::daemon
