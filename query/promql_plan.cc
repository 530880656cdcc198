// The evaluation plan: Prometheus 2.42's PreprocessExpr (step-invariant subtrees wrapped),
// setOffsetForAtModifier (the offsets that reach an @ time) and the selection of every
// selector's data for the time it can need (getTimeRangesForSelector), over the syntax tree.
#include <algorithm>

#include "query/promql_eval.h"

namespace sluice::query::promql::internal {
namespace {

using Kind = PlanNode::Kind;

struct PlanBuilder {
  int64_t start;
  int64_t end;

  std::optional<int64_t> ResolveAt(const std::optional<AtModifier>& at) const {
    if (!at) return std::nullopt;
    switch (at->kind) {
      case AtModifier::Kind::kStart:
        return start;
      case AtModifier::Kind::kEnd:
        return end;
      case AtModifier::Kind::kTimestamp:
        break;
    }
    return at->timestamp_ms;
  }

  std::unique_ptr<PlanNode> Build(const Expr& e) const {
    auto n = std::make_unique<PlanNode>();
    n->expr = &e;
    n->type = TypeOf(e);
    const Expr::Node& node = e.node;
    if (std::holds_alternative<NumberLiteral>(node)) {
      n->kind = Kind::kNumber;
    } else if (std::holds_alternative<StringLiteral>(node)) {
      n->kind = Kind::kString;
    } else if (const auto* vs = std::get_if<VectorSelector>(&node)) {
      n->kind = Kind::kVectorSelector;
      SetSelector(*vs, n.get());
    } else if (const auto* ms = std::get_if<MatrixSelector>(&node)) {
      n->kind = Kind::kMatrixSelector;
      SetSelector(ms->selector, n.get());
      n->range = ms->range_ms;
    } else if (const auto* sq = std::get_if<Subquery>(&node)) {
      n->kind = Kind::kSubquery;
      n->children.push_back(Build(*sq->expr));
      n->range = sq->range_ms;
      n->subquery_step = sq->step_ms;
      n->original_offset = n->offset = sq->offset_ms;
      n->at = ResolveAt(sq->at);
    } else if (const auto* call = std::get_if<Call>(&node)) {
      n->kind = Kind::kCall;
      for (const ExprPtr& arg : call->args) n->children.push_back(Build(*arg));
    } else if (const auto* agg = std::get_if<Aggregate>(&node)) {
      n->kind = Kind::kAggregate;
      n->children.push_back(agg->param ? Build(*agg->param) : nullptr);
      n->children.push_back(Build(*agg->expr));
    } else if (const auto* bin = std::get_if<Binary>(&node)) {
      n->kind = Kind::kBinary;
      n->children.push_back(Build(*bin->lhs));
      n->children.push_back(Build(*bin->rhs));
    } else if (const auto* un = std::get_if<Unary>(&node)) {
      n->kind = Kind::kUnary;
      n->children.push_back(Build(*un->expr));
    } else {
      n->kind = Kind::kParen;
      n->children.push_back(Build(*std::get<Paren>(node).expr));
    }
    return n;
  }

  void SetSelector(const VectorSelector& vs, PlanNode* n) const {
    n->selector = &vs;
    n->original_offset = n->offset = vs.offset_ms;
    n->at = ResolveAt(vs.at);
  }
};

void WrapStepInvariant(std::unique_ptr<PlanNode>& node) {
  auto wrapper = std::make_unique<PlanNode>();
  wrapper->kind = Kind::kStepInvariant;
  wrapper->expr = node->expr;
  wrapper->type = node->type;
  wrapper->children.push_back(std::move(node));
  node = std::move(wrapper);
}

// Functions whose result depends on the evaluation time even when their arguments do not
// (Prometheus' AtModifierUnsafeFunctions).
bool IsAtModifierUnsafe(std::string_view name) {
  static constexpr std::string_view kUnsafe[] = {
      "days_in_month", "day_of_month", "day_of_week",    "day_of_year", "hour",     "minute",
      "month",         "year",         "predict_linear", "time",        "timestamp"};
  return std::find(std::begin(kUnsafe), std::end(kUnsafe), name) != std::end(kUnsafe);
}

// preprocessExprHelper: whether `n` is step invariant; wraps invariant children of variant
// nodes.
bool Preprocess(PlanNode& n) {
  switch (n.kind) {
    case Kind::kVectorSelector:
    case Kind::kMatrixSelector:
      return n.at.has_value();
    case Kind::kAggregate:
      return Preprocess(*n.children[1]);  // as Prometheus: the parameter is not looked at
    case Kind::kBinary: {
      bool lhs = Preprocess(*n.children[0]);
      bool rhs = Preprocess(*n.children[1]);
      if (lhs && rhs) return true;
      if (lhs) WrapStepInvariant(n.children[0]);
      if (rhs) WrapStepInvariant(n.children[1]);
      return false;
    }
    case Kind::kCall: {
      bool invariant = !IsAtModifierUnsafe(std::get<Call>(n.expr->node).function->name);
      std::vector<bool> arg_invariant(n.children.size());
      for (size_t i = 0; i < n.children.size(); ++i) {
        arg_invariant[i] = Preprocess(*n.children[i]);
        invariant = invariant && arg_invariant[i];
      }
      if (invariant) return true;
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (arg_invariant[i]) WrapStepInvariant(n.children[i]);
      }
      return false;
    }
    case Kind::kSubquery:
      if (Preprocess(*n.children[0])) WrapStepInvariant(n.children[0]);
      return n.at.has_value();
    case Kind::kParen:
    case Kind::kUnary:
      return Preprocess(*n.children[0]);
    case Kind::kNumber:
    case Kind::kString:
      return true;
    case Kind::kStepInvariant:
      break;
  }
  return false;
}

struct SubqueryTimes {
  int64_t offset = 0;
  int64_t range = 0;
  std::optional<int64_t> at;
};

// subqueryTimes: offsets and ranges of the enclosing subqueries, restarted at one with @.
SubqueryTimes TimesOf(const std::vector<const PlanNode*>& subqueries) {
  SubqueryTimes t;
  for (const PlanNode* sq : subqueries) {
    t.offset += sq->original_offset;
    t.range += sq->range;
    if (sq->at) {
      t.offset = sq->original_offset;
      t.range = sq->range;
      t.at = sq->at;
    }
  }
  return t;
}

// setOffsetForAtModifier: the offset that reaches the @ time from `eval_time`.
void SetOffsetsForAt(PlanNode& n, int64_t eval_time, std::vector<const PlanNode*>& path) {
  bool is_selector = n.kind == Kind::kVectorSelector || n.kind == Kind::kMatrixSelector;
  if (is_selector || n.kind == Kind::kSubquery) {
    n.offset = n.original_offset;
    if (n.at) {
      SubqueryTimes times = TimesOf(path);
      if (times.at) times.offset += eval_time - *times.at;
      n.offset = n.original_offset + (eval_time - *n.at) - times.offset;
    }
  }
  if (n.kind == Kind::kSubquery) path.push_back(&n);
  for (auto& child : n.children) {
    if (child) SetOffsetsForAt(*child, eval_time, path);
  }
  if (n.kind == Kind::kSubquery) path.pop_back();
}

// Reads every selector's series for the time it can need (getTimeRangesForSelector).
Status SelectData(PlanNode& n, int64_t start, int64_t end, QueryContext& ctx, Querier& querier,
                  std::vector<const PlanNode*>& path) {
  if (n.kind == Kind::kVectorSelector || n.kind == Kind::kMatrixSelector) {
    SubqueryTimes times = TimesOf(path);
    int64_t mint = start;
    int64_t maxt = end;
    if (times.at) mint = maxt = *times.at;
    if (n.at) {
      mint = maxt = *n.at;
    } else {
      mint -= times.offset + times.range;
      maxt -= times.offset;
    }
    mint -= n.kind == Kind::kMatrixSelector ? n.range : ctx.options->lookback_delta_ms;
    mint -= n.original_offset;
    maxt -= n.original_offset;
    SLUICE_RETURN_IF_ERROR(querier.Select(n.selector->matchers, mint, maxt, &n.data));
    std::sort(n.data.begin(), n.data.end(),
              [](const Series& a, const Series& b) { return a.labels < b.labels; });
    for (Series& s : n.data) {
      ctx.samples_loaded += s.points.size();
      if (n.kind == Kind::kMatrixSelector) {
        std::erase_if(s.points, [](const Point& p) { return IsStale(p.v); });
      }
    }
    return Status::Ok();
  }
  if (n.kind == Kind::kSubquery) path.push_back(&n);
  for (auto& child : n.children) {
    if (child) SLUICE_RETURN_IF_ERROR(SelectData(*child, start, end, ctx, querier, path));
  }
  if (n.kind == Kind::kSubquery) path.pop_back();
  return Status::Ok();
}

}  // namespace

std::unique_ptr<PlanNode> BuildPlan(const Expr& expr, int64_t start, int64_t end) {
  std::unique_ptr<PlanNode> root = PlanBuilder{start, end}.Build(expr);
  if (Preprocess(*root)) WrapStepInvariant(root);
  return root;
}

void SetOffsetsForAt(PlanNode& root, int64_t eval_time) {
  std::vector<const PlanNode*> path;
  SetOffsetsForAt(root, eval_time, path);
}

Status SelectData(PlanNode& root, int64_t start, int64_t end, QueryContext& ctx, Querier& querier) {
  std::vector<const PlanNode*> path;
  return SelectData(root, start, end, ctx, querier, path);
}

}  // namespace sluice::query::promql::internal
