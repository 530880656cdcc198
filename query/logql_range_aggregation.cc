// Range aggregations over log entries, with Loki's window rule and functions
// (pkg/logql/range_vector.go): at step time t the window holds the samples with
// t - offset - range < ts <= t - offset, and a series without a sample there has no point.
//
// Each stream is scanned once for the whole query. An entry that the pipeline keeps becomes a
// sample of the series named by its labels (reduced by the aggregation's `by`/`without`): value
// 1 for counting, the line's length for the bytes functions, the unwrapped label otherwise.
// Sums and counts (count_over_time, rate, bytes_*, sum_over_time, absent_over_time) are added
// straight into per-step accumulators, so that memory does not grow with the number of entries;
// the other functions keep their series' samples and walk the windows step by step.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <unordered_map>

#include "query/logql_eval.h"
#include "query/logql_pipeline.h"
#include "query/promql_eval.h"
#include "storage/metadata_codec.h"

namespace sluice::query::logql::internal {
namespace {

using storage::Label;
using storage::Labels;

constexpr std::string_view kErrorLabel = "__error__";
constexpr std::string_view kErrorDetailsLabel = "__error_details__";

bool Accumulates(RangeOp op) {
  switch (op) {
    case RangeOp::kCountOverTime:
    case RangeOp::kRate:
    case RangeOp::kBytesOverTime:
    case RangeOp::kBytesRate:
    case RangeOp::kSumOverTime:
    case RangeOp::kAbsentOverTime:
      return true;
    default:
      return false;
  }
}

// floor(a / b) for b > 0 and any a.
int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

struct Sample {
  int64_t t = 0;
  double v = 0;
};

struct SeriesState {
  Labels labels;
  std::vector<double> sums;      // Accumulates(op): per step
  std::vector<uint32_t> counts;  // Accumulates(op): per step
  std::vector<Sample> samples;   // otherwise
  bool sorted = true;
};

// pkg/logql/range_vector.go's functions over one window (samples in time order, at least one).
double AvgOverTime(std::span<const Sample> s) {
  double mean = 0, count = 0;
  for (const Sample& x : s) {
    count++;
    if (std::isinf(mean)) {
      if (std::isinf(x.v) && (mean > 0) == (x.v > 0)) continue;
      if (!std::isinf(x.v) && !std::isnan(x.v)) continue;
    }
    mean += x.v / count - mean / count;
  }
  return mean;
}

double StdvarOverTime(std::span<const Sample> s) {
  double aux = 0, count = 0, mean = 0;
  for (const Sample& x : s) {
    count++;
    double delta = x.v - mean;
    mean += delta / count;
    aux += delta * (x.v - mean);
  }
  return aux / count;
}

// Loki's extrapolatedRate for rate_counter: Prometheus' algorithm, with the range taken as
// ending at the last sample and starting `range` before the first one (units made consistent:
// Loki mixes nanosecond timestamps with a millisecond range).
double RateCounter(std::span<const Sample> s, int64_t range_ns) {
  if (s.size() < 2) return 0;
  const double range_s = static_cast<double>(range_ns) / 1e9;
  double result = s.back().v - s.front().v;
  double last = 0;
  for (const Sample& x : s) {
    if (x.v < last) result += last;
    last = x.v;
  }
  double to_start = range_s;
  double to_end = 0;
  double sampled = static_cast<double>(s.back().t - s.front().t) / 1e9;
  double average = sampled / static_cast<double>(s.size() - 1);
  if (result > 0 && s.front().v >= 0)
    to_start = std::min(to_start, sampled * (s.front().v / result));
  double threshold = average * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : average / 2;
  interval += to_end < threshold ? to_end : average / 2;
  return result * (interval / sampled) / range_s;
}

// What every worker of one range aggregation shares, read-only.
struct RangeContext {
  const RangeAggregation& agg;
  const Steps& steps;
  const EngineOptions& options;
  const Pipeline& pipeline;
  const bool accumulate;
  const int64_t n;          // steps
  const Grouping grouping;  // the aggregation's own, or a pushed-down `sum`'s
  // The unwrapped label leaves the series' labels unless `by (...)` names what stays.
  const bool drop_unwrapped;
  const bool bytes;  // bytes_over_time, bytes_rate
};

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

Status SeriesLimitError(size_t limit) {
  return Status::ResourceExhausted(fmt::format(
      "a range aggregation of the query produces more than {} series: add label matchers or "
      "aggregate with sum by (...)",
      limit));
}

// A stream, or a time slice of one: the unit of work of a range aggregation's workers.
struct ScanUnit {
  const storage::StreamInfo* stream = nullptr;
  int64_t start = 0;
  int64_t end = 0;
};

// The series one worker builds from its share of the streams.
class RangeWorker {
 public:
  explicit RangeWorker(const RangeContext& ctx, const QueryParams& params)
      : ctx_(ctx), interrupts_(params), run_(ctx.pipeline) {}

  Status Scan(LogReader& reader, std::span<const ScanUnit> units) {
    Status failed = Status::Ok();
    for (const ScanUnit& unit : units) {
      const storage::StreamInfo& stream = *unit.stream;
      SLUICE_RETURN_IF_ERROR(interrupts_.Check("range aggregation"));
      stream_series_ = kNone;
      Status scanned =
          reader.Scan(stream, unit.start, unit.end, storage::Direction::kForward,
                      [&](int64_t ts, std::string_view line, std::string_view metadata) {
                        ++stats_.lines_processed;
                        stats_.bytes_processed += line.size();
                        failed = Visit(stream, ts, line, metadata);
                        if (failed.ok()) failed = interrupts_.MaybeCheck("range aggregation");
                        return failed.ok();
                      });
      SLUICE_RETURN_IF_ERROR(failed);
      SLUICE_RETURN_IF_ERROR(scanned);
    }
    return Status::Ok();
  }

  // Adds `other`'s series to this worker's.
  Status Merge(RangeWorker& other) {
    for (size_t i = 0; i < other.series_.size(); ++i) {
      SeriesState& from = other.series_[i];
      SLUICE_ASSIGN_OR_RETURN(uint32_t id, SeriesForKey(other.keys_[i], from.labels));
      SeriesState& to = series_[id];
      if (ctx_.accumulate) {
        for (size_t k = 0; k < to.sums.size(); ++k) {
          to.sums[k] += from.sums[k];
          to.counts[k] += from.counts[k];
        }
      } else {
        to.sorted = to.sorted && from.sorted &&
                    (to.samples.empty() || from.samples.empty() ||
                     to.samples.back().t <= from.samples.front().t);
        to.samples.insert(to.samples.end(), from.samples.begin(), from.samples.end());
      }
    }
    stats_.lines_processed += other.stats_.lines_processed;
    stats_.bytes_processed += other.stats_.bytes_processed;
    return Status::Ok();
  }

  std::vector<SeriesState>& series() { return series_; }
  const QueryStats& stats() const { return stats_; }

 private:
  Status Visit(const storage::StreamInfo& stream, int64_t ts, std::string_view line,
               std::string_view metadata) {
    const RangeAggregation& agg = ctx_.agg;
    double value = 1;
    uint32_t series = kNone;
    if (ctx_.pipeline.LineFiltersOnly() && !ctx_.pipeline.has_unwrap() && metadata.empty()) {
      // Labels cannot change: the stream's series, found once per stream.
      if (!ctx_.pipeline.Matches(line)) return Status::Ok();
      if (stream_series_ == kNone) {
        labels_ = stream.labels;
        Reduce(&labels_);
        SLUICE_ASSIGN_OR_RETURN(stream_series_, SeriesFor(labels_));
      }
      series = stream_series_;
      if (ctx_.bytes) value = static_cast<double>(line.size());
    } else {
      builder_.Reset(stream.labels);
      if (!metadata.empty() && storage::DecodeMetadata(metadata, &metadata_pairs_)) {
        for (const auto& [name, v] : metadata_pairs_) builder_.AddStructuredMetadata(name, v);
      }
      std::string_view out_line;
      if (!run_.Process(ts, line, builder_, &out_line)) return Status::Ok();
      if (ctx_.pipeline.has_unwrap()) {
        value = run_.unwrapped().value_or(0);
      } else if (ctx_.bytes) {
        value = static_cast<double>(out_line.size());
      }
      builder_.Materialize(&labels_);
      Reduce(&labels_);
      SLUICE_ASSIGN_OR_RETURN(series, SeriesFor(labels_));
    }
    Add(series, ts + agg.range.offset_ns, value);
    return Status::Ok();
  }

  // `by (a, b)` keeps a and b, `without (a, b)` drops them, and the unwrapped label goes unless
  // `by` keeps it; an error label always stays, so that the entry still fails the query.
  void Reduce(Labels* labels) const {
    const Grouping& g = ctx_.grouping;
    const std::string* unwrapped = ctx_.drop_unwrapped ? &ctx_.agg.range.unwrap->label : nullptr;
    if (!g.given && unwrapped == nullptr) return;
    std::erase_if(*labels, [&](const Label& l) {
      if (l.name == kErrorLabel || l.name == kErrorDetailsLabel) return false;
      if (unwrapped != nullptr && l.name == *unwrapped) return true;
      if (!g.given) return false;
      bool listed = std::find(g.labels.begin(), g.labels.end(), l.name) != g.labels.end();
      return g.without ? listed : !listed;
    });
  }

  Result<uint32_t> SeriesFor(const Labels& labels) {
    key_.clear();
    for (const Label& l : labels) {
      key_.append(l.name);
      key_.push_back('\xff');
      key_.append(l.value);
      key_.push_back('\xff');
    }
    return SeriesForKey(key_, labels);
  }

  Result<uint32_t> SeriesForKey(const std::string& key, const Labels& labels) {
    auto [it, added] = index_.try_emplace(key, static_cast<uint32_t>(series_.size()));
    if (added) {
      if (ctx_.options.max_range_series > 0 && series_.size() >= ctx_.options.max_range_series) {
        index_.erase(it);
        return SeriesLimitError(ctx_.options.max_range_series);
      }
      SeriesState& s = series_.emplace_back();
      s.labels = labels;
      keys_.push_back(key);
      if (ctx_.accumulate) {
        s.sums.assign(static_cast<size_t>(ctx_.n), 0);
        s.counts.assign(static_cast<size_t>(ctx_.n), 0);
      }
    }
    return it->second;
  }

  // `u` is the sample's time shifted by the offset: it belongs to the steps t with
  // u <= t < u + range.
  void Add(uint32_t series, int64_t u, double v) {
    SeriesState& s = series_[series];
    if (!ctx_.accumulate) {
      if (!s.samples.empty() && s.samples.back().t > u) s.sorted = false;
      s.samples.push_back({u, v});
      return;
    }
    const Steps& steps = ctx_.steps;
    int64_t first = std::max<int64_t>(0, CeilDiv(u - steps.start, steps.step));
    int64_t last = std::min<int64_t>(
        ctx_.n - 1, CeilDiv(u + ctx_.agg.range.range_ns - steps.start, steps.step) - 1);
    for (int64_t k = first; k <= last; ++k) {
      s.sums[static_cast<size_t>(k)] += v;
      ++s.counts[static_cast<size_t>(k)];
    }
  }

  const RangeContext& ctx_;
  Interrupts interrupts_;
  PipelineRun run_;
  LabelsBuilder builder_;
  std::vector<SeriesState> series_;
  std::vector<std::string> keys_;  // of series_, for merging
  std::unordered_map<std::string, uint32_t> index_;
  uint32_t stream_series_ = kNone;
  std::string key_;
  Labels labels_;
  std::vector<std::pair<std::string_view, std::string_view>> metadata_pairs_;
  QueryStats stats_;
};

// Turns the merged series into step values.
class RangeFinisher {
 public:
  explicit RangeFinisher(const RangeContext& ctx) : ctx_(ctx) {}

  Result<promql::Matrix> Finish(std::vector<SeriesState>& all) {
    for (SeriesState& s : all) {
      for (const Label& l : s.labels) {
        if (l.name == kErrorLabel && !l.value.empty()) return PipelineError(s.labels, l.value);
      }
    }
    if (ctx_.agg.op == RangeOp::kAbsentOverTime) return Absent(all);
    promql::Matrix out;
    for (SeriesState& s : all) {
      promql::Series series;
      if (ctx_.accumulate) {
        for (int64_t k = 0; k < ctx_.n; ++k) {
          auto i = static_cast<size_t>(k);
          if (s.counts[i] == 0) continue;
          series.points.push_back({StepMs(k), FromAccumulators(s, i)});
        }
      } else {
        if (!s.sorted) {
          std::stable_sort(s.samples.begin(), s.samples.end(),
                           [](const Sample& a, const Sample& b) { return a.t < b.t; });
        }
        size_t lo = 0, hi = 0;
        for (int64_t k = 0; k < ctx_.n; ++k) {
          const int64_t t = ctx_.steps.at(k);
          while (hi < s.samples.size() && s.samples[hi].t <= t) ++hi;
          while (lo < hi && s.samples[lo].t <= t - ctx_.agg.range.range_ns) ++lo;
          if (lo == hi) continue;
          series.points.push_back(
              {StepMs(k), FromWindow(std::span<const Sample>(s.samples).subspan(lo, hi - lo))});
        }
      }
      if (series.points.empty()) continue;
      series.labels = std::move(s.labels);
      out.push_back(std::move(series));
    }
    std::sort(out.begin(), out.end(),
              [](const promql::Series& a, const promql::Series& b) { return a.labels < b.labels; });
    return out;
  }

 private:
  double RangeSeconds() const { return static_cast<double>(ctx_.agg.range.range_ns) / 1e9; }

  double FromAccumulators(const SeriesState& s, size_t k) const {
    switch (ctx_.agg.op) {
      case RangeOp::kCountOverTime:
        return s.counts[k];
      case RangeOp::kRate:
        return (ctx_.pipeline.has_unwrap() ? s.sums[k] : s.counts[k]) / RangeSeconds();
      case RangeOp::kBytesRate:
        return s.sums[k] / RangeSeconds();
      default:  // bytes_over_time, sum_over_time
        return s.sums[k];
    }
  }

  double FromWindow(std::span<const Sample> w) {
    switch (ctx_.agg.op) {
      case RangeOp::kAvgOverTime:
        return AvgOverTime(w);
      case RangeOp::kMaxOverTime: {
        double m = w[0].v;
        for (const Sample& x : w) {
          if (x.v > m || std::isnan(m)) m = x.v;
        }
        return m;
      }
      case RangeOp::kMinOverTime: {
        double m = w[0].v;
        for (const Sample& x : w) {
          if (x.v < m || std::isnan(m)) m = x.v;
        }
        return m;
      }
      case RangeOp::kStdvarOverTime:
        return StdvarOverTime(w);
      case RangeOp::kStddevOverTime:
        return std::sqrt(StdvarOverTime(w));
      case RangeOp::kQuantileOverTime: {
        values_.clear();
        for (const Sample& x : w) values_.push_back(x.v);
        return promql::internal::Quantile(ctx_.agg.param.value_or(0), values_);
      }
      case RangeOp::kFirstOverTime:
        return w.front().v;
      case RangeOp::kLastOverTime:
        return w.back().v;
      case RangeOp::kRateCounter:
        return RateCounter(w, ctx_.agg.range.range_ns);
      default:
        return 0;
    }
  }

  // absent_over_time: 1 at each step where no series has a sample, labelled with the selector's
  // equality matchers (those that do not repeat a name).
  Result<promql::Matrix> Absent(const std::vector<SeriesState>& all) const {
    const storage::LabelMatchers& matchers = ctx_.agg.range.selector.matchers;
    promql::Series series;
    for (const storage::LabelMatcher& m : matchers) {
      if (m.op() != storage::MatchOp::kEqual) continue;
      bool repeated = std::count_if(matchers.begin(), matchers.end(),
                                    [&](const auto& o) { return o.name() == m.name(); }) > 1;
      if (!repeated) series.labels.push_back({m.name(), m.value()});
    }
    std::sort(series.labels.begin(), series.labels.end());
    for (int64_t k = 0; k < ctx_.n; ++k) {
      auto i = static_cast<size_t>(k);
      bool any = std::any_of(all.begin(), all.end(),
                             [&](const SeriesState& s) { return s.counts[i] > 0; });
      if (!any) series.points.push_back({StepMs(k), 1});
    }
    promql::Matrix out;
    if (!series.points.empty()) out.push_back(std::move(series));
    return out;
  }

  static Status PipelineError(const Labels& labels, std::string_view kind) {
    return Status::InvalidArgument(fmt::format(
        "pipeline error: '{}' for series: '{}'.\n"
        "Use a label filter to intentionally skip this error. (e.g | __error__!=\"{}\").\n"
        "To skip all potential errors you can match empty errors.(e.g __error__=\"\")\n"
        "The label filter can also be specified after unwrap. (e.g | unwrap latency | "
        "__error__=\"\" )\n",
        kind, storage::LabelsToString(labels), kind));
  }

  int64_t StepMs(int64_t k) const { return FloorDiv(ctx_.steps.at(k), 1'000'000); }

  const RangeContext& ctx_;
  std::vector<double> values_;
};

}  // namespace

bool SumPushesDown(RangeOp op) { return Accumulates(op) && op != RangeOp::kAbsentOverTime; }

Grouping GroupingOf(const RangeAggregation& agg, const Grouping* pushdown) {
  if (agg.grouping_given) return Grouping{true, agg.without, agg.grouping};
  if (pushdown != nullptr && SumPushesDown(agg.op)) return *pushdown;
  return Grouping{};
}

Result<promql::Matrix> EvalRangeAggregation(const RangeAggregation& agg, const Steps& steps,
                                            const EngineOptions& options, const QueryParams& params,
                                            LogReader& reader, QueryStats* stats,
                                            const Grouping* pushdown) {
  const LogRange& range = agg.range;
  SLUICE_ASSIGN_OR_RETURN(
      std::unique_ptr<Pipeline> pipeline,
      Pipeline::Compile(range.selector, range.unwrap ? &*range.unwrap : nullptr));
  const RangeContext ctx{
      .agg = agg,
      .steps = steps,
      .options = options,
      .pipeline = *pipeline,
      .accumulate = Accumulates(agg.op),
      .n = steps.count(),
      .grouping = GroupingOf(agg, pushdown),
      .drop_unwrapped = range.unwrap.has_value() && (!agg.grouping_given || agg.without),
      .bytes = agg.op == RangeOp::kBytesOverTime || agg.op == RangeOp::kBytesRate,
  };
  // Entries any window can hold: (first step - offset - range, last step - offset].
  const int64_t scan_start = steps.start - range.offset_ns - range.range_ns + 1;
  const int64_t scan_end = steps.end - range.offset_ns + 1;
  std::vector<storage::StreamInfo> streams =
      reader.SelectStreams(range.selector.matchers, scan_start, scan_end);
  if (options.max_streams > 0 && streams.size() > options.max_streams) {
    return Status::ResourceExhausted(fmt::format(
        "the query selects {} streams; limit {} (query.max_streams): add label matchers",
        streams.size(), options.max_streams));
  }
  stats->streams_selected += streams.size();

  // Fewer streams than threads: each stream's span is cut into equal time slices, so that one
  // busy stream still uses every core (sums and samples merge the same whatever the cut).
  const size_t threads = WorkerCount(options, std::numeric_limits<size_t>::max());
  const size_t slices = streams.empty() ? 1 : (threads + streams.size() - 1) / streams.size();
  std::vector<ScanUnit> units;
  for (const storage::StreamInfo& stream : streams) {
    const int64_t from = std::max(scan_start, stream.min_ts);
    const int64_t to = std::min(scan_end, stream.max_ts + 1);
    const int64_t width =
        to > from ? (to - from + static_cast<int64_t>(slices) - 1) / static_cast<int64_t>(slices)
                  : 0;
    if (width == 0 || slices == 1) {
      units.push_back({&stream, scan_start, scan_end});
      continue;
    }
    for (int64_t t = from; t < to; t += width)
      units.push_back({&stream, t, std::min(to, t + width)});
  }
  const size_t workers = std::max<size_t>(1, std::min(threads, units.size()));
  std::vector<std::vector<ScanUnit>> shares(workers);
  for (size_t i = 0; i < units.size(); ++i) shares[i % workers].push_back(units[i]);
  std::vector<std::unique_ptr<RangeWorker>> parts;
  for (size_t w = 0; w < workers; ++w) parts.push_back(std::make_unique<RangeWorker>(ctx, params));
  SLUICE_RETURN_IF_ERROR(
      RunParallel(workers, [&](size_t w) { return parts[w]->Scan(reader, shares[w]); }));
  for (size_t w = 1; w < workers; ++w) SLUICE_RETURN_IF_ERROR(parts[0]->Merge(*parts[w]));
  stats->lines_processed += parts[0]->stats().lines_processed;
  stats->bytes_processed += parts[0]->stats().bytes_processed;
  RangeFinisher finisher(ctx);
  return finisher.Finish(parts[0]->series());
}

}  // namespace sluice::query::logql::internal
