// Internal to the PromQL engine: the evaluation plan (built in promql_plan.cc) and the pieces
// that the evaluator (promql_engine.cc), the functions (promql_functions.cc,
// promql_range_functions.cc), the aggregations (promql_aggregate.cc), the binary operators
// (promql_binary.cc) and the label-set machinery (promql_labels.cc) share.
//
// The evaluator follows Prometheus 2.42's promql/engine.go: every node is evaluated once over
// the whole step range [start, end] (or a subquery's own range) into a Matrix whose points sit
// at the step timestamps. A node that combines its arguments step by step (functions without a
// range argument, aggregations, binary operators) is a StepFunction: the evaluator hands it, at
// each step, the samples its arguments have there, and it writes its results to a
// SeriesBuilder, which interns output label sets once (not per step) and keeps series in the
// order they first appear — the order of an instant query's result.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "query/promql_ast.h"
#include "query/promql_engine.h"
#include "query/promql_value.h"
#include "storage/metric_batch.h"

namespace sluice::query::promql::internal {

using storage::Label;
using storage::LabelValue;

// A node of the evaluation plan: the syntax tree as Prometheus' evaluator sees it after
// PreprocessExpr (step-invariant parts wrapped, `@ start()`/`@ end()` resolved), with the
// per-query state Prometheus keeps in its AST (the @-adjusted offsets, the selected series).
struct PlanNode {
  enum class Kind {
    kNumber,
    kString,
    kVectorSelector,
    kMatrixSelector,
    kSubquery,
    kCall,
    kAggregate,
    kBinary,
    kUnary,
    kParen,
    kStepInvariant,
  };
  Kind kind = Kind::kNumber;
  const Expr* expr = nullptr;  // the syntax node; for kStepInvariant, the wrapped one's
  ValueType type = ValueType::kNone;
  // kCall: the arguments; kAggregate: {param or nullptr, expr}; kBinary: {lhs, rhs};
  // kUnary, kParen, kSubquery, kStepInvariant: {inner}.
  std::vector<std::unique_ptr<PlanNode>> children;

  // Selectors (a matrix selector's are its inner selector's) and subqueries.
  const VectorSelector* selector = nullptr;
  std::optional<int64_t> at;    // the resolved @ time
  int64_t original_offset = 0;  // as written
  int64_t offset = 0;           // Prometheus' Offset: adjusted so that @ is reached from start
  int64_t range = 0;            // matrix selector and subquery
  int64_t subquery_step = 0;    // subquery; 0: the default evaluation interval
  // Selectors: the series read for the whole query (matrix selectors without stale markers),
  // sorted by labels.
  Matrix data;
};

// Query-wide state shared by the evaluators of one query (Prometheus copies currentSamples
// into and out of nested evaluators; sharing it is the same).
struct QueryContext {
  const EngineOptions* options = nullptr;
  const QueryParams* params = nullptr;
  int64_t max_samples = 0;
  int64_t current_samples = 0;  // Prometheus' currentSamples
  uint64_t samples_loaded = 0;
  uint32_t interrupt_counter = 0;

  // DeadlineExceeded / Cancelled "... in <where>" when the deadline passed or the client left.
  Status CheckInterrupt(std::string_view where);
  // Checks only every few hundred calls: for tight loops.
  Status MaybeCheckInterrupt() {
    if ((++interrupt_counter & 255) != 0) return Status::Ok();
    return CheckInterrupt("expression evaluation");
  }
};

Status TooManySamples();

// The plan of `expr` for a query over [start, end]: `@ start()` and `@ end()` resolved, and the
// step-invariant subtrees wrapped in kStepInvariant nodes (Prometheus' PreprocessExpr).
std::unique_ptr<PlanNode> BuildPlan(const Expr& expr, int64_t start, int64_t end);
// setOffsetForAtModifier: sets the offset of every selector and subquery below `root` so that
// its @ time is reached from `eval_time` (the query's start, or a subquery's first step).
void SetOffsetsForAt(PlanNode& root, int64_t eval_time);
// Reads every selector's series for the time it can need (getTimeRangesForSelector) into its
// PlanNode::data, sorted by labels; stale markers are dropped from range selectors' data.
Status SelectData(PlanNode& root, int64_t start, int64_t end, QueryContext& ctx, Querier& querier);

// Prometheus' value.IsStaleNaN, inlined for the selector loops.
inline bool IsStale(double v) { return std::bit_cast<uint64_t>(v) == storage::kStaleNaNBits; }

// 64-bit hash of a label set (XXH3 over names and values).
uint64_t HashLabels(const Labels& labels);
Labels DropMetricName(const Labels& labels);
// Interns label sets: equal sets get the same dense id. Collision-safe (compares labels).
class LabelInterner {
 public:
  uint32_t Intern(Labels labels) {
    uint64_t hash = HashLabels(labels);
    return Intern(std::move(labels), hash);
  }
  uint32_t Intern(Labels labels, uint64_t hash);
  const Labels& labels(uint32_t id) const { return labels_[id]; }
  size_t size() const { return labels_.size(); }

 private:
  std::vector<Labels> labels_;
  std::vector<uint32_t> next_same_hash_;
  std::unordered_map<uint64_t, uint32_t> first_by_hash_;
};

inline constexpr uint32_t kNoId = 0xffffffffu;

// The output of one node, built step by step.
class SeriesBuilder {
 public:
  uint32_t Intern(Labels labels) { return Ensure(interner_.Intern(std::move(labels))); }
  uint32_t Intern(Labels labels, uint64_t hash) {
    return Ensure(interner_.Intern(std::move(labels), hash));
  }
  const Labels& labels(uint32_t id) const { return interner_.labels(id); }

  void BeginStep(int64_t t) {
    t_ = t;
    added_ = 0;
  }
  // Adds the value of series `id` at the current step. A second value for the same series in
  // one step marks the step as holding duplicate label sets (see duplicate()).
  void Add(uint32_t id, double v) {
    std::vector<Point>& points = points_[id];
    if (!points.empty() && points.back().t == t_) {
      duplicate_ = true;
      return;
    }
    if (points.empty()) order_.push_back(id);
    points.push_back({t_, v});
    ++added_;
  }
  // Adds a whole series (range functions); false if that label set already has points.
  bool AddSeries(uint32_t id, std::vector<Point> points);
  bool duplicate() const { return duplicate_; }
  int64_t added() const { return added_; }
  // The series with points, in the order they got their first point.
  Matrix Finish();

 private:
  uint32_t Ensure(uint32_t id) {
    if (id >= points_.size()) points_.resize(id + 1);
    return id;
  }
  LabelInterner interner_;
  std::vector<std::vector<Point>> points_;
  std::vector<uint32_t> order_;
  int64_t t_ = 0;
  int64_t added_ = 0;
  bool duplicate_ = false;
};

// One argument of a StepFunction at one step.
struct StepSample {
  uint32_t series = 0;  // index into the argument's matrix
  double v = 0;
};
struct StepArg {
  const Matrix* matrix = nullptr;  // nullptr for string arguments
  std::vector<StepSample> samples;
  double scalar() const { return samples.empty() ? 0 : samples[0].v; }
};

// A node evaluated step by step over its evaluated arguments (Prometheus' rangeEval callback).
class StepFunction {
 public:
  virtual ~StepFunction() = default;
  // `args` are in the order of the node's arguments (for aggregations: param, expr).
  virtual Status Step(int64_t ts, std::span<const StepArg> args, SeriesBuilder& out) = 0;
};

// Caches an output series id per input series of one argument.
class OutputIdCache {
 public:
  template <typename MakeLabels>
  uint32_t Get(uint32_t series, SeriesBuilder& out, MakeLabels&& make) {
    if (series >= ids_.size()) ids_.resize(series + 1, kNoId);
    uint32_t& id = ids_[series];
    if (id == kNoId) id = out.Intern(make());
    return id;
  }

 private:
  std::vector<uint32_t> ids_;
};

// Instant-vector functions (no range-vector argument). `args` are the call's plan arguments
// (string arguments are read from them).
Result<std::unique_ptr<StepFunction>> MakeCallFunction(const PlanNode& call);

// A range-vector function over the points of one series' window.
struct RangeCall {
  int64_t ts = 0;                // evaluation time (Prometheus' enh.Ts)
  int64_t range = 0;             // the range selector's (or subquery's) range
  int64_t offset = 0;            // its (adjusted) offset
  double scalar[3] = {0, 0, 0};  // the scalar arguments at this step, by argument position
  // Counter resets in the window, when the caller knows them (rate/increase/resets): lets the
  // common window without a reset skip the scan. -1: unknown.
  int64_t resets = -1;
};
// Writes the result to *out and returns true, or returns false when the series has no result
// at this step. Errors (holt_winters' factors) go to *error.
using RangeFunctionFn = bool (*)(std::span<const Point> points, const RangeCall& call, double* out,
                                 Status* error);
struct RangeFunction {
  RangeFunctionFn fn = nullptr;
  bool keeps_metric_name = false;  // last_over_time
  bool uses_resets = false;        // rate, increase, resets: RangeCall::resets is filled
};
// nullptr when `name` takes no range-vector argument.
const RangeFunction* FindRangeFunction(std::string_view name);

// absent() and absent_over_time(): the labels of the argument's equality matchers.
Labels LabelsForAbsent(const PlanNode* arg);

Result<std::unique_ptr<StepFunction>> MakeAggregation(const PlanNode& aggregate);
// Binary operation where at least one side is a vector, or both are scalars.
Result<std::unique_ptr<StepFunction>> MakeBinaryOperation(const PlanNode& binary);

Result<std::unique_ptr<StepFunction>> MakeHistogramQuantile();

// Prometheus' quantile() over values (sorted in place).
double Quantile(double q, std::vector<double>& values);

}  // namespace sluice::query::promql::internal
