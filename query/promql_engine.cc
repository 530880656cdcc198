// The evaluator: Prometheus 2.42's promql/engine.go (execEvalStmt, eval, rangeEval,
// matrixIterSlice) over the plan that promql_plan.cc builds, with its sample accounting and its
// error texts.
#include "query/promql_engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "query/promql_eval.h"

namespace sluice::query::promql {
namespace internal {
namespace {

using Kind = PlanNode::Kind;

std::string_view DocumentedType(ValueType type) {
  switch (type) {
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kString:
      return "string";
    case ValueType::kNone:
      break;
  }
  return "none";
}

// unwrapParenExpr, unwrapStepInvariantExpr, unwrapParenExpr.
PlanNode* UnwrapArg(PlanNode* n) {
  while (n->kind == Kind::kParen) n = n->children[0].get();
  if (n->kind == Kind::kStepInvariant) n = n->children[0].get();
  while (n->kind == Kind::kParen) n = n->children[0].get();
  return n;
}

Status SameLabelsetError() {
  return Status::InvalidArgument("vector cannot contain metrics with the same labelset");
}

int64_t TotalSamples(const Matrix& m) {
  int64_t n = 0;
  for (const Series& s : m) n += static_cast<int64_t>(s.points.size());
  return n;
}

// ---- Evaluator -------------------------------------------------------------------------------

class Evaluator {
 public:
  Evaluator(QueryContext* ctx, int64_t start, int64_t end, int64_t interval)
      : ctx_(ctx), start_(start), end_(end), interval_(interval) {}

  Status Eval(PlanNode& n, Matrix* out) {
    SLUICE_RETURN_IF_ERROR(ctx_->CheckInterrupt("expression evaluation"));
    switch (n.kind) {
      case Kind::kNumber:
        return EvalNumber(std::get<NumberLiteral>(n.expr->node).value, out);
      case Kind::kString:
        return Status::Internal("string literal evaluated as a vector");
      case Kind::kVectorSelector:
        return EvalVectorSelector(n, out);
      case Kind::kMatrixSelector:
        return EvalMatrixSelector(n, out);
      case Kind::kSubquery:
        return EvalSubquery(n, out);
      case Kind::kStepInvariant:
        return EvalStepInvariant(n, out);
      case Kind::kParen:
        return Eval(*n.children[0], out);
      case Kind::kUnary:
        return EvalUnary(n, out);
      case Kind::kCall:
        return EvalCall(n, out);
      case Kind::kAggregate: {
        SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<StepFunction> fn, MakeAggregation(n));
        return RangeEval(n, *fn, out);
      }
      case Kind::kBinary: {
        SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<StepFunction> fn, MakeBinaryOperation(n));
        return RangeEval(n, *fn, out);
      }
    }
    return Status::Internal("unknown plan node");
  }

 private:
  int64_t NumSteps() const { return end_ < start_ ? 0 : (end_ - start_) / interval_ + 1; }
  int64_t StepTime(int64_t step) const { return start_ + step * interval_; }

  Status EvalNumber(double v, Matrix* out) {
    // A literal is a scalar with one point per step (rangeEval without arguments).
    SeriesBuilder builder;
    uint32_t id = builder.Intern(Labels{});
    for (int64_t step = 0; step < NumSteps(); ++step) {
      builder.BeginStep(StepTime(step));
      builder.Add(id, v);
    }
    *out = builder.Finish();
    ctx_->current_samples += NumSteps();
    if (ctx_->current_samples > ctx_->max_samples) return TooManySamples();
    return Status::Ok();
  }

  // The newest sample at or before `ref` within the lookback window, unless it is a stale
  // marker (vectorSelectorSingle). `cursor` is the first point after the previous ref.
  const Point* SampleAt(const std::vector<Point>& points, int64_t ref, size_t* cursor) const {
    size_t j = *cursor;
    while (j < points.size() && points[j].t <= ref) ++j;
    *cursor = j;
    if (j == 0) return nullptr;
    const Point& p = points[j - 1];
    if (p.t < ref - ctx_->options->lookback_delta_ms || IsStale(p.v)) return nullptr;
    return &p;
  }

  Status EvalVectorSelector(PlanNode& n, Matrix* out) {
    out->reserve(n.data.size());
    const int64_t steps = NumSteps();
    for (Series& s : n.data) {
      SLUICE_RETURN_IF_ERROR(ctx_->MaybeCheckInterrupt());
      std::vector<Point> points;
      size_t cursor = 0;
      for (int64_t step = 0; step < steps; ++step) {
        int64_t ts = StepTime(step);
        const Point* p = SampleAt(s.points, ts - n.offset, &cursor);
        if (p == nullptr) continue;
        if (ctx_->current_samples >= ctx_->max_samples) return TooManySamples();
        ++ctx_->current_samples;
        if (points.empty()) points.reserve(static_cast<size_t>(steps - step));
        points.push_back({ts, p->v});
      }
      if (!points.empty()) out->push_back({std::move(s.labels), std::move(points)});
    }
    Matrix().swap(n.data);  // every node is evaluated once: its series are no longer needed
    return Status::Ok();
  }

  Status EvalMatrixSelector(PlanNode& n, Matrix* out) {
    const int64_t maxt = start_ - n.offset;
    const int64_t mint = maxt - n.range;
    for (const Series& s : n.data) {
      SLUICE_RETURN_IF_ERROR(ctx_->CheckInterrupt("expression evaluation"));
      auto lo = std::lower_bound(s.points.begin(), s.points.end(), mint,
                                 [](const Point& p, int64_t t) { return p.t < t; });
      auto hi = std::upper_bound(lo, s.points.end(), maxt,
                                 [](int64_t t, const Point& p) { return t < p.t; });
      if (lo == hi) continue;
      ctx_->current_samples += hi - lo;
      if (ctx_->current_samples > ctx_->max_samples) return TooManySamples();
      out->push_back({s.labels, std::vector<Point>(lo, hi)});
    }
    Matrix().swap(n.data);
    return Status::Ok();
  }

  Status EvalSubquery(PlanNode& n, Matrix* out) {
    int64_t interval =
        n.subquery_step != 0 ? n.subquery_step : ctx_->options->default_evaluation_interval_ms;
    if (interval <= 0) interval = 60'000;
    // The first step aligned to the interval at or after start - offset - range.
    const int64_t first = start_ - n.offset - n.range;
    int64_t sub_start = interval * (first / interval);
    if (sub_start < first) sub_start += interval;
    Evaluator sub(ctx_, sub_start, end_ - n.offset, interval);
    if (sub_start != start_) SetOffsetsForAt(*n.children[0], sub_start);
    return sub.Eval(*n.children[0], out);
  }

  Status EvalStepInvariant(PlanNode& n, Matrix* out) {
    PlanNode& inner = *n.children[0];
    if (inner.kind == Kind::kNumber || inner.kind == Kind::kString) return Eval(inner, out);
    Evaluator once(ctx_, start_, start_, interval_);
    SLUICE_RETURN_IF_ERROR(once.Eval(inner, out));
    // A range vector keeps its points' own times. (Prometheus does not look through
    // parentheses here: a parenthesized range vector with @ fails below, as it does there.)
    if (inner.kind == Kind::kMatrixSelector || inner.kind == Kind::kSubquery) {
      return Status::Ok();
    }
    // The value stays the same at every step; its timestamps follow the steps.
    const int64_t steps = NumSteps();
    for (Series& s : *out) {
      if (s.points.size() != 1) return Status::InvalidArgument("unexpected number of samples");
      s.points.reserve(static_cast<size_t>(steps));
      for (int64_t step = 1; step < steps; ++step) {
        s.points.push_back({StepTime(step), s.points[0].v});
        if (++ctx_->current_samples > ctx_->max_samples) return TooManySamples();
      }
    }
    return Status::Ok();
  }

  Status EvalUnary(PlanNode& n, Matrix* out) {
    SLUICE_RETURN_IF_ERROR(Eval(*n.children[0], out));
    if (!std::get<Unary>(n.expr->node).negate) return Status::Ok();
    LabelInterner interner;
    for (Series& s : *out) {
      s.labels = DropMetricName(s.labels);
      for (Point& p : s.points) p.v = -p.v;
      size_t before = interner.size();
      interner.Intern(s.labels);
      if (interner.size() == before) return SameLabelsetError();
    }
    return Status::Ok();
  }

  Status EvalCall(PlanNode& n, Matrix* out) {
    std::string_view name = std::get<Call>(n.expr->node).function->name;
    if (name == "timestamp") {
      PlanNode* arg = UnwrapArg(n.children[0].get());
      if (arg->kind == Kind::kVectorSelector) return EvalTimestampOfSelector(*arg, out);
    }
    for (size_t i = 0; i < n.children.size(); ++i) {
      PlanNode* arg = UnwrapArg(n.children[i].get());
      if (arg->kind == Kind::kMatrixSelector || arg->kind == Kind::kSubquery) {
        return EvalRangeFunction(n, i, *arg, out);
      }
    }
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<StepFunction> fn, MakeCallFunction(n));
    return RangeEval(n, *fn, out);
  }

  // timestamp(selector) reads the samples' own times, which the evaluated matrix has lost.
  Status EvalTimestampOfSelector(PlanNode& sel, Matrix* out) {
    std::vector<size_t> cursors(sel.data.size(), 0);
    std::vector<uint32_t> ids(sel.data.size(), kNoId);
    SeriesBuilder builder;
    int64_t temp = ctx_->current_samples;
    for (int64_t step = 0; step < NumSteps(); ++step) {
      SLUICE_RETURN_IF_ERROR(ctx_->CheckInterrupt("expression evaluation"));
      int64_t ts = StepTime(step);
      ctx_->current_samples = temp;
      int64_t ref = sel.at ? *sel.at - sel.original_offset : ts - sel.offset;
      builder.BeginStep(ts);
      for (size_t i = 0; i < sel.data.size(); ++i) {
        const Point* p = SampleAt(sel.data[i].points, ref, &cursors[i]);
        if (p == nullptr) continue;
        if (++ctx_->current_samples > ctx_->max_samples) return TooManySamples();
        if (ids[i] == kNoId) ids[i] = builder.Intern(DropMetricName(sel.data[i].labels));
        builder.Add(ids[i], static_cast<double>(p->t) / 1000);
      }
      if (builder.duplicate()) return SameLabelsetError();
      ctx_->current_samples += builder.added();
      temp += builder.added();
      if (ctx_->current_samples > ctx_->max_samples) return TooManySamples();
    }
    *out = builder.Finish();
    Matrix().swap(sel.data);
    return Status::Ok();
  }

  Status EvalRangeFunction(PlanNode& call, size_t matrix_arg, PlanNode& arg, Matrix* out);

  // rangeEval: evaluates the node's arguments, then calls `fn` step by step.
  Status RangeEval(PlanNode& n, StepFunction& fn, Matrix* out) {
    const int64_t original_samples = ctx_->current_samples;
    const size_t nargs = n.children.size();
    std::vector<Matrix> matrices(nargs);
    std::vector<StepArg> args(nargs);
    for (size_t i = 0; i < nargs; ++i) {
      PlanNode* child = n.children[i].get();
      if (child == nullptr || child->type == ValueType::kString) continue;
      SLUICE_RETURN_IF_ERROR(Eval(*child, &matrices[i]));
      args[i].matrix = &matrices[i];
    }
    std::vector<std::vector<size_t>> cursors(nargs);
    for (size_t i = 0; i < nargs; ++i) cursors[i].assign(matrices[i].size(), 0);
    int64_t temp = ctx_->current_samples;
    SeriesBuilder builder;
    for (int64_t step = 0; step < NumSteps(); ++step) {
      SLUICE_RETURN_IF_ERROR(ctx_->CheckInterrupt("expression evaluation"));
      const int64_t ts = StepTime(step);
      ctx_->current_samples = temp;
      int64_t gathered = 0;
      for (size_t i = 0; i < nargs; ++i) {
        args[i].samples.clear();
        const Matrix& m = matrices[i];
        for (size_t s = 0; s < m.size(); ++s) {
          size_t& c = cursors[i][s];
          if (c < m[s].points.size() && m[s].points[c].t == ts) {
            args[i].samples.push_back({static_cast<uint32_t>(s), m[s].points[c].v});
            ++c;
          }
        }
        gathered += static_cast<int64_t>(args[i].samples.size());
      }
      if (gathered > 0 && ctx_->current_samples + gathered > ctx_->max_samples) {
        return TooManySamples();
      }
      ctx_->current_samples += gathered;
      builder.BeginStep(ts);
      SLUICE_RETURN_IF_ERROR(fn.Step(ts, args, builder));
      if (builder.duplicate()) return SameLabelsetError();
      ctx_->current_samples += builder.added();
      temp += builder.added();
      if (ctx_->current_samples > ctx_->max_samples) return TooManySamples();
    }
    *out = builder.Finish();
    ctx_->current_samples = original_samples + TotalSamples(*out);
    return Status::Ok();
  }

  QueryContext* ctx_;
  int64_t start_;
  int64_t end_;
  int64_t interval_;
};

// Functions over a range vector: the window of each series at each step, as matrixIterSlice
// keeps it (its sample accounting included), handed to the function.
Status Evaluator::EvalRangeFunction(PlanNode& call, size_t matrix_arg, PlanNode& arg, Matrix* out) {
  std::string_view name = std::get<Call>(call.expr->node).function->name;
  const RangeFunction* fn = FindRangeFunction(name);
  if (fn == nullptr) return Status::Internal(fmt::format("no range function {}", name));

  const Matrix* source = &arg.data;
  Matrix subquery_result;
  int64_t offset = arg.offset;
  int64_t subquery_samples = 0;
  if (arg.kind == Kind::kSubquery) {
    SLUICE_RETURN_IF_ERROR(Eval(arg, &subquery_result));
    source = &subquery_result;
    if (arg.at) offset = arg.original_offset + (start_ - *arg.at);
    subquery_samples = TotalSamples(subquery_result);
  }
  const int64_t range = arg.range;
  std::vector<Matrix> others(call.children.size());
  for (size_t j = 0; j < call.children.size(); ++j) {
    if (j == matrix_arg || call.children[j]->type == ValueType::kString) continue;
    SLUICE_RETURN_IF_ERROR(Eval(*call.children[j], &others[j]));
  }

  SeriesBuilder builder;
  const bool absent = name == "absent_over_time";
  std::vector<bool> found(absent ? static_cast<size_t>(NumSteps()) : 0, false);
  std::vector<uint32_t> resets_before;  // resets_before[k]: resets among points [1, k)
  int64_t window = 0;                   // points held, as Prometheus' `points`
  const int64_t steps = NumSteps();
  RangeCall rc;
  rc.range = range;
  rc.offset = offset;
  for (const Series& series : *source) {
    ctx_->current_samples -= window;
    window = 0;
    const std::vector<Point>& pts = series.points;
    if (fn->uses_resets) {
      resets_before.assign(pts.size() + 1, 0);
      for (size_t k = 1; k <= pts.size(); ++k) {
        resets_before[k] = resets_before[k - 1] + (k >= 2 && pts[k - 1].v < pts[k - 2].v);
      }
    }
    std::vector<Point> result;
    size_t lo = 0;
    size_t hi = 0;
    for (int64_t step = 0; step < steps; ++step) {
      SLUICE_RETURN_IF_ERROR(ctx_->MaybeCheckInterrupt());
      const int64_t ts = StepTime(step);
      for (size_t j = 0; j < others.size() && j < 3; ++j) {
        if (j == matrix_arg || others[j].empty()) continue;
        const std::vector<Point>& sp = others[j][0].points;
        rc.scalar[j] = static_cast<size_t>(step) < sp.size() ? sp[static_cast<size_t>(step)].v : 0;
      }
      const int64_t maxt = ts - offset;
      const int64_t mint = maxt - range;
      size_t new_lo = lo;
      while (new_lo < pts.size() && pts[new_lo].t < mint) ++new_lo;
      size_t new_hi = std::max(hi, new_lo);
      while (new_hi < pts.size() && pts[new_hi].t <= maxt) ++new_hi;
      int64_t added;
      if (window > 0 && pts[hi - 1].t >= mint) {
        ctx_->current_samples -= static_cast<int64_t>(new_lo - lo);
        added = static_cast<int64_t>(new_hi - hi);
      } else {
        ctx_->current_samples -= window;
        added = static_cast<int64_t>(new_hi - new_lo);
      }
      if (added > 0 && ctx_->current_samples + added > ctx_->max_samples) {
        return TooManySamples();
      }
      ctx_->current_samples += added;
      lo = new_lo;
      hi = new_hi;
      window = static_cast<int64_t>(hi - lo);
      if (window == 0) continue;
      rc.ts = ts;
      rc.resets =
          fn->uses_resets ? static_cast<int64_t>(resets_before[hi] - resets_before[lo + 1]) : -1;
      double v;
      Status error;
      if (fn->fn(std::span<const Point>(pts.data() + lo, hi - lo), rc, &v, &error)) {
        if (result.empty()) result.reserve(static_cast<size_t>(steps - step));
        result.push_back({ts, v});
      }
      if (!error.ok()) return error;
    }
    if (result.empty()) continue;
    if (absent) {
      for (const Point& p : result) found[static_cast<size_t>((p.t - start_) / interval_)] = true;
      continue;
    }
    if (ctx_->current_samples + static_cast<int64_t>(result.size()) > ctx_->max_samples) {
      return TooManySamples();
    }
    ctx_->current_samples += static_cast<int64_t>(result.size());
    uint32_t id =
        builder.Intern(fn->keeps_metric_name ? series.labels : DropMetricName(series.labels));
    if (!builder.AddSeries(id, std::move(result))) return SameLabelsetError();
  }
  ctx_->current_samples -= window + subquery_samples;
  Matrix().swap(arg.data);

  if (absent) {
    // One series: 1 at every step where no input series had a sample.
    std::vector<Point> points;
    for (int64_t step = 0; step < steps; ++step) {
      if (!found[static_cast<size_t>(step)]) points.push_back({StepTime(step), 1});
    }
    out->clear();
    if (!points.empty()) out->push_back({LabelsForAbsent(&arg), std::move(points)});
    return Status::Ok();
  }
  *out = builder.Finish();
  return Status::Ok();
}

}  // namespace

Status TooManySamples() {
  return Status::ResourceExhausted(
      "query processing would load too many samples into memory in query execution");
}

Status QueryContext::CheckInterrupt(std::string_view where) {
  auto set = [](const std::atomic<bool>* flag) {
    return flag != nullptr && flag->load(std::memory_order_relaxed);
  };
  if (set(params->cancelled) || set(params->client_gone)) {
    return Status::Cancelled(fmt::format("query was canceled in {}", where));
  }
  if (params->deadline != std::chrono::steady_clock::time_point::max() &&
      std::chrono::steady_clock::now() >= params->deadline) {
    return Status::DeadlineExceeded(fmt::format("query timed out in {}", where));
  }
  return Status::Ok();
}

}  // namespace internal

Result<QueryResult> Engine::Execute(const Expr& expr, const QueryParams& params,
                                    Querier& querier) const {
  using internal::Kind;
  const bool instant = params.step_ms == 0;
  const ValueType type = TypeOf(expr);
  if (!instant) {
    if (type != ValueType::kVector && type != ValueType::kScalar) {
      return Status::InvalidArgument(
          fmt::format("invalid expression type \"{}\" for range query, must be Scalar or "
                      "instant Vector",
                      internal::DocumentedType(type)));
    }
    if (params.step_ms < 0 || params.end_ms < params.start_ms) {
      return Status::InvalidArgument("invalid range query: end before start or negative step");
    }
  }
  internal::QueryContext ctx;
  ctx.options = &options_;
  ctx.params = &params;
  ctx.max_samples = static_cast<int64_t>(
      std::min<uint64_t>(options_.max_samples, static_cast<uint64_t>(INT64_MAX)));
  SLUICE_RETURN_IF_ERROR(ctx.CheckInterrupt("query execution"));

  const int64_t start = params.start_ms;
  const int64_t end = instant ? start : params.end_ms;
  const int64_t interval = instant ? 1 : params.step_ms;
  std::unique_ptr<internal::PlanNode> root = internal::BuildPlan(expr, start, end);
  internal::SetOffsetsForAt(*root, start);
  SLUICE_RETURN_IF_ERROR(internal::SelectData(*root, start, end, ctx, querier));

  QueryResult result;
  if (type == ValueType::kString) {
    const internal::PlanNode* n = root.get();
    while (n->kind != Kind::kString) n = n->children[0].get();
    result.type = ValueType::kString;
    result.string = std::get<StringLiteral>(n->expr->node).value;
    result.scalar.t = start;
    return result;
  }
  Matrix mat;
  internal::Evaluator evaluator(&ctx, start, end, interval);
  SLUICE_RETURN_IF_ERROR(evaluator.Eval(*root, &mat));
  result.samples_loaded = ctx.samples_loaded;
  if (instant) {
    switch (type) {
      case ValueType::kVector:
        result.type = ValueType::kVector;
        result.vector.reserve(mat.size());
        for (Series& s : mat) result.vector.push_back({std::move(s.labels), start, s.points[0].v});
        return result;
      case ValueType::kScalar:
        result.type = ValueType::kScalar;
        result.scalar = {start, mat.empty() ? 0 : mat[0].points[0].v};
        return result;
      default:
        result.type = ValueType::kMatrix;
        result.matrix = std::move(mat);
        return result;
    }
  }
  SLUICE_RETURN_IF_ERROR(ctx.CheckInterrupt("expression evaluation"));
  std::sort(mat.begin(), mat.end(),
            [](const Series& a, const Series& b) { return a.labels < b.labels; });
  result.type = ValueType::kMatrix;
  result.matrix = std::move(mat);
  return result;
}

}  // namespace sluice::query::promql
