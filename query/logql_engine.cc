// The LogQL engine's driver: log queries (select, filter, keep the `limit` entries nearest the
// start of the requested direction) and metric queries (range aggregations computed here, the
// rest handed to the PromQL engine).
#include "query/logql_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <span>
#include <thread>
#include <tuple>

#include "query/logql_eval.h"
#include "query/logql_pipeline.h"
#include "storage/metadata_codec.h"

namespace sluice::query::logql {
namespace internal {

Status Interrupts::Check(std::string_view where) const {
  if (params_.cancelled != nullptr && params_.cancelled->load(std::memory_order_relaxed)) {
    return Status::Cancelled(fmt::format("query cancelled in {}: the server is stopping", where));
  }
  if (params_.client_gone != nullptr && params_.client_gone->load(std::memory_order_relaxed)) {
    return Status::Cancelled(fmt::format("query cancelled in {}: the client went away", where));
  }
  if (std::chrono::steady_clock::now() > params_.deadline) {
    return Status::DeadlineExceeded(fmt::format("query timed out in {}", where));
  }
  return Status::Ok();
}

size_t WorkerCount(const EngineOptions& options, size_t streams) {
  size_t n = options.parallelism;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  return std::max<size_t>(1, std::min(n, streams));
}

Status RunParallel(size_t n, const std::function<Status(size_t)>& fn) {
  std::vector<Status> results(n, Status::Ok());
  std::vector<std::thread> threads;
  threads.reserve(n > 0 ? n - 1 : 0);
  for (size_t i = 1; i < n; ++i) threads.emplace_back([&, i] { results[i] = fn(i); });
  if (n > 0) results[0] = fn(0);
  for (std::thread& t : threads) t.join();
  for (Status& s : results) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

namespace {

using storage::Direction;
using storage::Labels;

// ---- Log queries -----------------------------------------------------------------------------

struct Candidate {
  int64_t ts = 0;
  uint64_t seq = 0;  // arrival order: ties keep it
  std::string line;
  Labels stream;    // output stream labels
  Labels metadata;  // categorize_labels only
  Labels parsed;    // categorize_labels only
};

// An entry that passed the pipeline, named by its stream (index into the query's streams), its
// time and its rank among the passing entries of that stream at that time (in scan order).
struct PassedEntry {
  int64_t ts = 0;
  uint32_t stream = 0;
  uint32_t dup = 0;
  bool operator==(const PassedEntry&) const = default;
  // By stream, then time and rank: each stream's chosen entries are one sorted run.
  bool operator<(const PassedEntry& o) const {
    return std::tie(stream, ts, dup) < std::tie(o.stream, o.ts, o.dup);
  }
};

// One worker's share of a log query: the streams it scans and the best `limit` entries it saw.
// With `interval`, the query takes two passes: kRecord notes every passing entry (no line), and
// kSelect then keeps the lines of the entries the thinning chose.
class LogScanner {
 public:
  enum class Mode { kTopK, kRecord, kSelect };

  LogScanner(const Pipeline& pipeline, const QueryParams& params)
      : pipeline_(pipeline),
        params_(params),
        interrupts_(params),
        backward_(params.direction == Direction::kBackward),
        worse_{backward_},
        run_(pipeline) {}

  // Scans `streams`, whose indexes in the query's stream list are `first_index`,
  // `first_index + stride`, ... (kRecord and kSelect name entries by them).
  Status Scan(LogReader& reader, std::span<const storage::StreamInfo> streams, uint32_t first_index,
              uint32_t stride) {
    Status failed = Status::Ok();
    for (size_t i = 0; i < streams.size(); ++i) {
      const storage::StreamInfo& stream = streams[i];
      const uint32_t index = first_index + static_cast<uint32_t>(i) * stride;
      SLUICE_RETURN_IF_ERROR(interrupts_.Check("log query"));
      int64_t start = params_.start_ns;
      int64_t end = params_.end_ns;
      std::span<const PassedEntry> wanted;
      if (mode_ == Mode::kSelect) {
        // The chosen entries of this stream, in scan order; only their span is read.
        auto lo = std::lower_bound(selected_.begin(), selected_.end(), index,
                                   [](const PassedEntry& e, uint32_t s) { return e.stream < s; });
        auto hi = std::upper_bound(lo, selected_.end(), index,
                                   [](uint32_t s, const PassedEntry& e) { return s < e.stream; });
        if (lo == hi) continue;
        wanted = std::span<const PassedEntry>(&*lo, static_cast<size_t>(hi - lo));
        auto [min_it, max_it] = std::minmax_element(
            wanted.begin(), wanted.end(),
            [](const PassedEntry& a, const PassedEntry& b) { return a.ts < b.ts; });
        start = min_it->ts;
        end = max_it->ts + 1;
      }
      int64_t last_ts = 0;
      uint32_t dup = 0;
      bool any = false;
      Status scanned =
          reader.Scan(stream, start, end, params_.direction,
                      [&](int64_t ts, std::string_view line, std::string_view metadata) {
                        ++stats_.lines_processed;
                        stats_.bytes_processed += line.size();
                        // Entries come in the requested direction: once one cannot beat the worst
                        // kept, none after it in this stream can.
                        if (mode_ == Mode::kTopK && Full() && !Beats(ts)) return false;
                        Candidate c;
                        if (Passes(stream, ts, line, metadata, mode_ != Mode::kRecord, &c)) {
                          dup = any && ts == last_ts ? dup + 1 : 0;
                          last_ts = ts;
                          any = true;
                          const PassedEntry passed{ts, index, dup};
                          if (mode_ == Mode::kRecord) {
                            recorded_.push_back(passed);
                          } else if (mode_ == Mode::kSelect) {
                            if (std::binary_search(wanted.begin(), wanted.end(), passed)) {
                              heap_.push_back(std::move(c));
                            }
                          } else {
                            Keep(std::move(c));
                          }
                        }
                        failed = interrupts_.MaybeCheck("log query");
                        return failed.ok();
                      });
      SLUICE_RETURN_IF_ERROR(failed);
      SLUICE_RETURN_IF_ERROR(scanned);
    }
    return Status::Ok();
  }

  void set_mode(Mode mode) { mode_ = mode; }
  // kSelect: the chosen entries of every stream, sorted.
  void set_selected(std::span<const PassedEntry> selected) { selected_ = selected; }
  std::vector<PassedEntry>& recorded() { return recorded_; }

  // The heap's front is the kept entry farthest from the start of the direction (the oldest
  // for backward), the one a better entry evicts.
  struct Worse {
    bool backward;
    // true when a ranks before b.
    bool operator()(const Candidate& a, const Candidate& b) const {
      if (a.ts != b.ts) return backward ? a.ts > b.ts : a.ts < b.ts;
      return a.seq < b.seq;
    }
  };

  std::vector<Candidate>& kept() { return heap_; }
  const QueryStats& stats() const { return stats_; }
  Worse worse() const { return worse_; }
  void set_seq_base(uint64_t base) { seq_ = base; }

 private:
  bool Full() const { return heap_.size() >= params_.limit; }
  bool Beats(int64_t ts) const {
    const Candidate& worst = heap_.front();
    return backward_ ? ts > worst.ts : ts < worst.ts;
  }

  // Runs the pipeline over one entry; when it passes and `fill`, *c holds its line and labels.
  bool Passes(const storage::StreamInfo& stream, int64_t ts, std::string_view line,
              std::string_view metadata, bool fill, Candidate* c) {
    c->ts = ts;
    c->seq = seq_++;
    if (pipeline_.LineFiltersOnly() && metadata.empty()) {
      if (!pipeline_.Matches(line)) return false;
      if (!fill) return true;
      c->line.assign(line);
      c->stream = stream.labels;
    } else {
      builder_.Reset(stream.labels);
      if (!metadata.empty() && storage::DecodeMetadata(metadata, &metadata_pairs_)) {
        for (const auto& [name, v] : metadata_pairs_) builder_.AddStructuredMetadata(name, v);
      }
      std::string_view out;
      if (!run_.Process(ts, line, builder_, &out)) return false;
      if (!fill) return true;
      c->line.assign(out);
      if (params_.categorize_labels) {
        builder_.MaterializeCategorized(&c->stream, &c->metadata, &c->parsed);
      } else {
        builder_.Materialize(&c->stream);
      }
    }
    return true;
  }

  void Keep(Candidate c) {
    if (Full()) {
      std::pop_heap(heap_.begin(), heap_.end(), worse_);
      heap_.pop_back();
    }
    heap_.push_back(std::move(c));
    std::push_heap(heap_.begin(), heap_.end(), worse_);
  }

  const Pipeline& pipeline_;
  const QueryParams& params_;
  Interrupts interrupts_;
  const bool backward_;
  const Worse worse_;
  PipelineRun run_;
  LabelsBuilder builder_;
  std::vector<Candidate> heap_;  // kTopK: a heap under worse_, front() the worst kept
  Mode mode_ = Mode::kTopK;
  std::vector<PassedEntry> recorded_;      // kRecord
  std::span<const PassedEntry> selected_;  // kSelect
  uint64_t seq_ = 0;
  QueryStats stats_;
  std::vector<std::pair<std::string_view, std::string_view>> metadata_pairs_;
};

Result<std::vector<Stream>> RunLogQuery(const LogSelector& selector, const QueryParams& params,
                                        const EngineOptions& options, LogReader& reader,
                                        QueryStats* stats) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<Pipeline> pipeline, Pipeline::Compile(selector));
  std::vector<storage::StreamInfo> streams =
      reader.SelectStreams(selector.matchers, params.start_ns, params.end_ns);
  if (options.max_streams > 0 && streams.size() > options.max_streams) {
    return Status::ResourceExhausted(fmt::format(
        "the query selects {} streams; limit {} (query.max_streams): add label matchers",
        streams.size(), options.max_streams));
  }
  stats->streams_selected += streams.size();
  if (params.limit == 0 || streams.empty()) return std::vector<Stream>{};

  // Streams are dealt to the workers round-robin; each keeps its own best `limit`.
  const size_t workers = WorkerCount(options, streams.size());
  std::vector<std::vector<storage::StreamInfo>> shares(workers);
  for (size_t i = 0; i < streams.size(); ++i) shares[i % workers].push_back(std::move(streams[i]));
  std::vector<std::unique_ptr<LogScanner>> scanners;
  for (size_t w = 0; w < workers; ++w) {
    scanners.push_back(std::make_unique<LogScanner>(*pipeline, params));
    scanners.back()->set_seq_base(static_cast<uint64_t>(w) << 48);
  }
  auto scan_all = [&] {
    return RunParallel(workers, [&](size_t w) {
      return scanners[w]->Scan(reader, shares[w], static_cast<uint32_t>(w),
                               static_cast<uint32_t>(workers));
    });
  };
  std::vector<PassedEntry> selected;
  if (params.interval_ns > 0) {
    // Loki's readStreams: across all streams in the direction's order, an entry is returned when
    // it is at least `interval` past the last one returned. That needs every passing entry in
    // order, so a first pass notes them (16 bytes each) and a second reads the chosen ones.
    for (auto& scanner : scanners) scanner->set_mode(LogScanner::Mode::kRecord);
    SLUICE_RETURN_IF_ERROR(scan_all());
    std::vector<PassedEntry> passed;
    for (auto& scanner : scanners) {
      std::move(scanner->recorded().begin(), scanner->recorded().end(), std::back_inserter(passed));
      scanner->recorded().clear();
      scanner->recorded().shrink_to_fit();
    }
    const bool backward = params.direction == Direction::kBackward;
    std::sort(passed.begin(), passed.end(), [&](const PassedEntry& a, const PassedEntry& b) {
      if (a.ts != b.ts) return backward ? a.ts > b.ts : a.ts < b.ts;
      return std::tie(a.stream, a.dup) < std::tie(b.stream, b.dup);
    });
    for (const PassedEntry& e : passed) {
      if (selected.size() >= params.limit) break;
      if (!selected.empty()) {
        const int64_t last = selected.back().ts;
        if (backward ? e.ts > last - params.interval_ns : e.ts < last + params.interval_ns) {
          continue;
        }
      }
      selected.push_back(e);
    }
    std::sort(selected.begin(), selected.end());
    for (auto& scanner : scanners) {
      scanner->set_mode(LogScanner::Mode::kSelect);
      scanner->set_selected(selected);
    }
  }
  SLUICE_RETURN_IF_ERROR(scan_all());

  std::vector<Candidate> kept;
  for (auto& scanner : scanners) {
    stats->lines_processed += scanner->stats().lines_processed;
    stats->bytes_processed += scanner->stats().bytes_processed;
    std::move(scanner->kept().begin(), scanner->kept().end(), std::back_inserter(kept));
  }
  // Best first (the direction's order), then the limit.
  std::sort(kept.begin(), kept.end(), scanners[0]->worse());
  if (kept.size() > params.limit) kept.resize(params.limit);
  std::map<Labels, size_t> index;
  std::vector<Stream> out;
  for (Candidate& c : kept) {
    auto [it, added] = index.try_emplace(c.stream, out.size());
    if (added) out.push_back(Stream{c.stream, {}});
    Entry& e = out[it->second].entries.emplace_back();
    e.timestamp_ns = c.ts;
    e.line = std::move(c.line);
    e.structured_metadata = std::move(c.metadata);
    e.parsed = std::move(c.parsed);
  }
  stats->lines_returned += kept.size();
  std::sort(out.begin(), out.end(),
            [](const Stream& a, const Stream& b) { return a.labels < b.labels; });
  return out;
}

// ---- Metric queries: LogQL → PromQL ------------------------------------------------------------

constexpr std::string_view kRangeLabel = "__logql_range__";

// Serves each range aggregation's result to the PromQL engine as the series of the selector
// {__logql_range__="<index>"}.
class RangeResultsQuerier final : public promql::Querier {
 public:
  explicit RangeResultsQuerier(std::vector<promql::Matrix> results)
      : results_(std::move(results)) {}
  Status Select(const storage::LabelMatchers& matchers, int64_t, int64_t,
                promql::Matrix* out) override {
    for (const storage::LabelMatcher& m : matchers) {
      if (m.name() != kRangeLabel) continue;
      size_t i = std::stoul(m.value());
      if (i >= results_.size()) return Status::Internal("unknown range aggregation");
      out->insert(out->end(), results_[i].begin(), results_[i].end());
      return Status::Ok();
    }
    return Status::Internal("selector without a range aggregation");
  }

 private:
  std::vector<promql::Matrix> results_;
};

bool IsScalar(const Expr& e) {
  if (std::holds_alternative<Number>(e.node)) return true;
  if (const auto* p = std::get_if<Paren>(&e.node)) return IsScalar(*p->expr);
  if (const auto* b = std::get_if<Binary>(&e.node)) return IsScalar(*b->lhs) && IsScalar(*b->rhs);
  return false;
}

class Translator {
 public:
  Translator(const Steps& steps, const EngineOptions& options, const QueryParams& params,
             LogReader& reader, QueryStats* stats)
      : steps_(steps), options_(options), params_(params), reader_(reader), stats_(stats) {}

  Result<promql::ExprPtr> Translate(const Expr& e) {
    auto out = std::make_unique<promql::Expr>();
    if (const auto* n = std::get_if<Number>(&e.node)) {
      out->node = promql::NumberLiteral{n->value};
    } else if (const auto* v = std::get_if<VectorLiteral>(&e.node)) {
      promql::Call call;
      call.function = promql::FindFunction("vector");
      call.args.push_back(NumberExpr(v->value));
      out->node = std::move(call);
    } else if (const auto* p = std::get_if<Paren>(&e.node)) {
      SLUICE_ASSIGN_OR_RETURN(promql::ExprPtr inner, Translate(*p->expr));
      out->node = promql::Paren{std::move(inner)};
    } else if (const auto* r = std::get_if<RangeAggregation>(&e.node)) {
      SLUICE_ASSIGN_OR_RETURN(promql::Matrix m, EvalRangeAggregation(*r, steps_, options_, params_,
                                                                     reader_, stats_, pushdown_));
      promql::VectorSelector sel;
      SLUICE_ASSIGN_OR_RETURN(
          storage::LabelMatcher matcher,
          storage::LabelMatcher::Make(storage::MatchOp::kEqual, std::string(kRangeLabel),
                                      std::to_string(results_.size())));
      sel.matchers.push_back(std::move(matcher));
      results_.push_back(std::move(m));
      out->node = std::move(sel);
    } else if (const auto* a = std::get_if<VectorAggregation>(&e.node)) {
      // `sum by (x) (count_over_time(...))`: the range aggregation keeps only x (as Loki does).
      Grouping sum_grouping{true, a->without, a->grouping};
      const Grouping* outer = pushdown_;
      pushdown_ = a->op == VectorAggregation::Op::kSum ? &sum_grouping : nullptr;
      Result<promql::ExprPtr> translated = Translate(*a->expr);
      pushdown_ = outer;
      SLUICE_ASSIGN_OR_RETURN(promql::ExprPtr inner, std::move(translated));
      using Op = VectorAggregation::Op;
      if (a->op == Op::kSort || a->op == Op::kSortDesc) {
        promql::Call call;
        call.function = promql::FindFunction(a->op == Op::kSort ? "sort" : "sort_desc");
        call.args.push_back(std::move(inner));
        out->node = std::move(call);
      } else {
        promql::Aggregate agg;
        agg.op = AggregateOp(a->op);
        agg.expr = std::move(inner);
        if (a->param) agg.param = NumberExpr(static_cast<double>(*a->param));
        agg.grouping = a->grouping;
        agg.without = a->without;
        agg.grouping_given = a->grouping_given;
        out->node = std::move(agg);
      }
    } else if (const auto* b = std::get_if<Binary>(&e.node)) {
      promql::Binary bin;
      bin.op = b->op;
      bin.return_bool = b->return_bool;
      bin.matching = b->matching;
      if (!bin.matching && !IsScalar(*b->lhs) && !IsScalar(*b->rhs)) {
        promql::VectorMatching m;
        if (promql::IsSetOperator(b->op))
          m.cardinality = promql::VectorMatching::Cardinality::kManyToMany;
        bin.matching = std::move(m);
      }
      // A sum around a binary operation does not distribute into it.
      const Grouping* outer = pushdown_;
      pushdown_ = nullptr;
      Result<promql::ExprPtr> lhs = Translate(*b->lhs);
      Result<promql::ExprPtr> rhs = lhs.ok() ? Translate(*b->rhs) : lhs.status();
      pushdown_ = outer;
      SLUICE_ASSIGN_OR_RETURN(bin.lhs, std::move(lhs));
      SLUICE_ASSIGN_OR_RETURN(bin.rhs, std::move(rhs));
      out->node = std::move(bin);
    } else if (const auto* l = std::get_if<LabelReplace>(&e.node)) {
      promql::Call call;
      call.function = promql::FindFunction("label_replace");
      // label_replace may read labels that a pushed-down sum would drop.
      const Grouping* outer = pushdown_;
      pushdown_ = nullptr;
      Result<promql::ExprPtr> translated = Translate(*l->expr);
      pushdown_ = outer;
      SLUICE_ASSIGN_OR_RETURN(promql::ExprPtr inner, std::move(translated));
      call.args.push_back(std::move(inner));
      for (const std::string* s : {&l->dst, &l->replacement, &l->src, &l->regex}) {
        auto str = std::make_unique<promql::Expr>();
        str->node = promql::StringLiteral{*s};
        call.args.push_back(std::move(str));
      }
      out->node = std::move(call);
    } else {
      return Status::InvalidArgument("log queries cannot be part of a metric query");
    }
    return out;
  }

  std::vector<promql::Matrix> TakeResults() { return std::move(results_); }

 private:
  static promql::ExprPtr NumberExpr(double v) {
    auto e = std::make_unique<promql::Expr>();
    e->node = promql::NumberLiteral{v};
    return e;
  }

  static promql::AggregateOp AggregateOp(VectorAggregation::Op op) {
    using Op = VectorAggregation::Op;
    switch (op) {
      case Op::kSum:
        return promql::AggregateOp::kSum;
      case Op::kAvg:
        return promql::AggregateOp::kAvg;
      case Op::kMin:
        return promql::AggregateOp::kMin;
      case Op::kMax:
        return promql::AggregateOp::kMax;
      case Op::kCount:
        return promql::AggregateOp::kCount;
      case Op::kStddev:
        return promql::AggregateOp::kStddev;
      case Op::kStdvar:
        return promql::AggregateOp::kStdvar;
      case Op::kTopk:
        return promql::AggregateOp::kTopk;
      case Op::kBottomk:
        return promql::AggregateOp::kBottomk;
      case Op::kSort:
      case Op::kSortDesc:
        break;
    }
    return promql::AggregateOp::kSum;
  }

  const Steps& steps_;
  const EngineOptions& options_;
  const QueryParams& params_;
  LogReader& reader_;
  QueryStats* stats_;
  const Grouping* pushdown_ = nullptr;  // of the nearest enclosing sum, through parentheses
  std::vector<promql::Matrix> results_;
};

constexpr int64_t kNsPerMs = 1'000'000;

int64_t AlignDown(int64_t t, int64_t step) {
  int64_t r = t % step;
  if (r < 0) r += step;
  return t - r;
}

Result<promql::QueryResult> RunMetricQuery(const Expr& expr, const QueryParams& params,
                                           const EngineOptions& options, LogReader& reader,
                                           QueryStats* stats) {
  const bool instant = params.step_ns == 0;
  Steps steps;
  if (instant) {
    steps = {params.start_ns, params.start_ns, 1};
  } else {
    if (params.step_ns < 0 || params.end_ns < params.start_ns) {
      return Status::InvalidArgument("invalid range query: end before start or negative step");
    }
    // Loki's query frontend aligns the range to the step: start down, end up.
    // Metric results have millisecond timestamps: the step is a whole number of them.
    steps.step = std::max<int64_t>(kNsPerMs, params.step_ns / kNsPerMs * kNsPerMs);
    steps.start = AlignDown(params.start_ns, steps.step);
    steps.end = AlignDown(params.end_ns, steps.step);
    if (steps.end < params.end_ns) steps.end += steps.step;
  }
  Translator translator(steps, options, params, reader, stats);
  SLUICE_ASSIGN_OR_RETURN(promql::ExprPtr translated, translator.Translate(expr));
  RangeResultsQuerier querier(translator.TakeResults());
  promql::EngineOptions engine_options;
  engine_options.lookback_delta_ms = 0;  // a stand-in series has a point exactly at each step
  engine_options.max_samples = options.max_samples;
  promql::Engine engine(engine_options);
  promql::QueryParams p;
  p.start_ms = AlignDown(steps.start, kNsPerMs) / kNsPerMs;
  p.end_ms = AlignDown(steps.end, kNsPerMs) / kNsPerMs;
  p.step_ms = instant ? 0 : steps.step / kNsPerMs;
  p.deadline = params.deadline;
  p.cancelled = params.cancelled;
  p.client_gone = params.client_gone;
  SLUICE_ASSIGN_OR_RETURN(promql::QueryResult result, engine.Execute(*translated, p, querier));
  const size_t series =
      result.type == promql::ValueType::kVector ? result.vector.size() : result.matrix.size();
  if (options.max_series > 0 && series > options.max_series) {
    return TooManySeries(options.max_series);
  }
  return result;
}

}  // namespace
}  // namespace internal

Status TooManySeries(size_t max_series) {
  return Status::ResourceExhausted(fmt::format(
      "maximum of series ({}) reached for a single query (limits.max_query_series)", max_series));
}

Result<QueryResult> Engine::Execute(const Expr& expr, const QueryParams& params,
                                    LogReader& reader) const {
  const auto started = std::chrono::steady_clock::now();
  internal::Interrupts interrupts(params);
  SLUICE_RETURN_IF_ERROR(interrupts.Check("query execution"));
  QueryResult result;
  if (const auto* selector = std::get_if<LogSelector>(&expr.node)) {
    result.is_log = true;
    SLUICE_ASSIGN_OR_RETURN(
        result.streams, internal::RunLogQuery(*selector, params, options_, reader, &result.stats));
  } else {
    SLUICE_ASSIGN_OR_RETURN(
        result.metric, internal::RunMetricQuery(expr, params, options_, reader, &result.stats));
  }
  result.stats.exec_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::vector<storage::StreamInfo> LogStoreReader::SelectStreams(
    const storage::LabelMatchers& matchers, int64_t start, int64_t end) {
  return store_.SelectStreams(tenant_, matchers, start, end);
}

Status LogStoreReader::Scan(const storage::StreamInfo& stream, int64_t start, int64_t end,
                            storage::Direction direction, const storage::EntryVisitor& visit) {
  return store_.Scan(stream, start, end, direction, visit);
}

}  // namespace sluice::query::logql
