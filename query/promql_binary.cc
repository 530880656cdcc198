// Binary operators as Prometheus 2.42 evaluates them (VectorBinop, VectorAnd/Or/Unless,
// VectorscalarBinop, scalarBinop, resultMetric): one-to-one and group_left/group_right
// matching with its errors, `bool`, and where the metric name is dropped.
#include <fmt/format.h>

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "query/promql_eval.h"
#include "query/promql_go.h"

namespace sluice::query::promql::internal {
namespace {

bool ShouldDropMetricName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kPow:
    case BinaryOp::kMod:
      return true;
    default:
      return false;  // atan2 and comparisons keep it
  }
}

// vectorElemBinop: the value, and whether a comparison keeps the element.
double ElemBinop(BinaryOp op, double lhs, double rhs, bool* keep) {
  *keep = true;
  switch (op) {
    case BinaryOp::kAdd:
      return lhs + rhs;
    case BinaryOp::kSub:
      return lhs - rhs;
    case BinaryOp::kMul:
      return lhs * rhs;
    case BinaryOp::kDiv:
      return lhs / rhs;
    case BinaryOp::kPow:
      return std::pow(lhs, rhs);
    case BinaryOp::kMod:
      return std::fmod(lhs, rhs);
    case BinaryOp::kAtan2:
      return std::atan2(lhs, rhs);
    case BinaryOp::kEql:
      *keep = lhs == rhs;
      return lhs;
    case BinaryOp::kNeq:
      *keep = lhs != rhs;
      return lhs;
    case BinaryOp::kGtr:
      *keep = lhs > rhs;
      return lhs;
    case BinaryOp::kLss:
      *keep = lhs < rhs;
      return lhs;
    case BinaryOp::kGte:
      *keep = lhs >= rhs;
      return lhs;
    case BinaryOp::kLte:
      *keep = lhs <= rhs;
      return lhs;
    default:
      return 0;
  }
}

// Prometheus' labels.Labels.String(): {a="b", c="d"}.
std::string LabelsString(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i].name;
    out += '=';
    out += GoQuote(labels[i].value);
  }
  out += '}';
  return out;
}

class ScalarBinary final : public StepFunction {
 public:
  explicit ScalarBinary(BinaryOp op) : op_(op) {}
  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    bool keep;
    double v = ElemBinop(op_, args[0].scalar(), args[1].scalar(), &keep);
    if (IsComparison(op_)) v = keep ? 1 : 0;  // scalarBinop's btos
    if (id_ == kNoId) id_ = out.Intern(Labels{});
    out.Add(id_, v);
    return Status::Ok();
  }

 private:
  BinaryOp op_;
  uint32_t id_ = kNoId;
};

class VectorScalarBinary final : public StepFunction {
 public:
  VectorScalarBinary(BinaryOp op, bool scalar_on_left, bool return_bool)
      : op_(op), swap_(scalar_on_left), return_bool_(return_bool) {}

  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    const StepArg& vec = args[swap_ ? 1 : 0];
    const double scalar = args[swap_ ? 0 : 1].scalar();
    const bool drop = ShouldDropMetricName(op_) || return_bool_;
    for (const StepSample& s : vec.samples) {
      double lv = s.v, rv = scalar;
      if (swap_) std::swap(lv, rv);
      bool keep;
      double value = ElemBinop(op_, lv, rv, &keep);
      // A comparison answers with the vector's value even when the scalar is on the left.
      if (IsComparison(op_) && swap_) value = rv;
      if (return_bool_) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (!keep) continue;
      const Labels& labels = (*vec.matrix)[s.series].labels;
      out.Add(ids_.Get(s.series, out, [&] { return drop ? DropMetricName(labels) : labels; }),
              value);
    }
    return Status::Ok();
  }

 private:
  BinaryOp op_;
  bool swap_;
  bool return_bool_;
  OutputIdCache ids_;
};

class VectorBinary final : public StepFunction {
 public:
  VectorBinary(BinaryOp op, VectorMatching matching, bool return_bool)
      : op_(op), matching_(std::move(matching)), return_bool_(return_bool) {
    std::sort(matching_.matching_labels.begin(), matching_.matching_labels.end());
  }

  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    ++step_;
    switch (op_) {
      case BinaryOp::kAnd:
        return And(args[0], args[1], out);
      case BinaryOp::kOr:
        return Or(args[0], args[1], out);
      case BinaryOp::kUnless:
        return Unless(args[0], args[1], out);
      default:
        return Binop(args[0], args[1], out);
    }
  }

 private:
  using Card = VectorMatching::Cardinality;

  // The labels a series is matched on (signatureFunc, MatchLabels).
  Labels MatchLabels(const Labels& labels) const {
    Labels sig;
    for (const Label& l : labels) {
      bool listed = std::binary_search(matching_.matching_labels.begin(),
                                       matching_.matching_labels.end(), l.name);
      if (matching_.on ? listed : (!listed && l.name != "__name__")) sig.push_back(l);
    }
    return sig;
  }

  uint32_t Signature(int side, const StepArg& arg, uint32_t series) {
    std::vector<uint32_t>& sigs = sigs_[side];
    if (series >= sigs.size()) sigs.resize(series + 1, kNoId);
    uint32_t& sig = sigs[series];
    if (sig == kNoId) {
      sig = signatures_.Intern(MatchLabels((*arg.matrix)[series].labels));
      if (sig >= sig_step_.size()) {
        sig_step_.resize(sig + 1, -1);
        sig_sample_.resize(sig + 1);
      }
    }
    return sig;
  }

  // Marks the signatures of `arg`'s samples as present in this step.
  void MarkSignatures(int side, const StepArg& arg) {
    for (const StepSample& s : arg.samples) sig_step_[Signature(side, arg, s.series)] = step_;
  }
  bool Present(uint32_t sig) const { return sig_step_[sig] == step_; }

  uint32_t SameLabels(int side, const StepArg& arg, uint32_t series, SeriesBuilder& out) {
    return same_ids_[side].Get(series, out, [&] { return (*arg.matrix)[series].labels; });
  }

  Status And(const StepArg& lhs, const StepArg& rhs, SeriesBuilder& out) {
    if (lhs.samples.empty() || rhs.samples.empty()) return Status::Ok();
    MarkSignatures(1, rhs);
    for (const StepSample& s : lhs.samples) {
      if (Present(Signature(0, lhs, s.series))) out.Add(SameLabels(0, lhs, s.series, out), s.v);
    }
    return Status::Ok();
  }

  Status Or(const StepArg& lhs, const StepArg& rhs, SeriesBuilder& out) {
    for (const StepSample& s : lhs.samples) out.Add(SameLabels(0, lhs, s.series, out), s.v);
    if (lhs.samples.empty() || rhs.samples.empty()) {
      for (const StepSample& s : rhs.samples) out.Add(SameLabels(1, rhs, s.series, out), s.v);
      return Status::Ok();
    }
    MarkSignatures(0, lhs);
    for (const StepSample& s : rhs.samples) {
      if (!Present(Signature(1, rhs, s.series))) out.Add(SameLabels(1, rhs, s.series, out), s.v);
    }
    return Status::Ok();
  }

  Status Unless(const StepArg& lhs, const StepArg& rhs, SeriesBuilder& out) {
    if (!lhs.samples.empty() && !rhs.samples.empty()) MarkSignatures(1, rhs);
    for (const StepSample& s : lhs.samples) {
      if (rhs.samples.empty() || !Present(Signature(0, lhs, s.series))) {
        out.Add(SameLabels(0, lhs, s.series, out), s.v);
      }
    }
    return Status::Ok();
  }

  // resultMetric for a pair of matched series (`many` from the many side).
  Labels ResultLabels(const Labels& many, const Labels& one) const {
    Labels result;
    const bool drop_name = ShouldDropMetricName(op_) || return_bool_;
    for (const Label& l : many) {
      if (drop_name && l.name == "__name__") continue;
      if (matching_.cardinality == Card::kOneToOne) {
        bool listed = std::binary_search(matching_.matching_labels.begin(),
                                         matching_.matching_labels.end(), l.name);
        if (matching_.on != listed) continue;
      }
      if (std::find(matching_.include.begin(), matching_.include.end(), l.name) !=
          matching_.include.end()) {
        continue;  // taken from the "one" side below
      }
      result.push_back(l);
    }
    for (const std::string& name : matching_.include) {
      std::string_view v = LabelValue(one, name);
      if (!v.empty() && std::none_of(result.begin(), result.end(),
                                     [&](const Label& l) { return l.name == name; })) {
        result.push_back({name, std::string(v)});
      }
    }
    std::sort(result.begin(), result.end());
    if (return_bool_) result = DropMetricName(result);
    return result;
  }

  Status Binop(const StepArg& left, const StepArg& right, SeriesBuilder& out) {
    if (left.samples.empty() || right.samples.empty()) return Status::Ok();
    // One-to-many runs as many-to-one with the sides swapped.
    const bool swapped = matching_.cardinality == Card::kOneToMany;
    const StepArg& many = swapped ? right : left;
    const StepArg& one = swapped ? left : right;
    const int many_side = swapped ? 1 : 0;
    const int one_side = 1 - many_side;
    for (const StepSample& rs : one.samples) {
      uint32_t sig = Signature(one_side, one, rs.series);
      if (Present(sig)) {
        const Labels& dup = (*one.matrix)[sig_sample_[sig].series].labels;
        const Labels& labels = (*one.matrix)[rs.series].labels;
        return Status::InvalidArgument(fmt::format(
            "found duplicate series for the match group {} on the {} hand-side of the "
            "operation: [{}, {}];many-to-many matching not allowed: matching labels must be "
            "unique on one side",
            LabelsString(MatchLabels(labels)), swapped ? "left" : "right", LabelsString(labels),
            LabelsString(dup)));
      }
      sig_step_[sig] = step_;
      sig_sample_[sig] = rs;
    }
    matched_.clear();
    for (const StepSample& ls : many.samples) {
      uint32_t sig = Signature(many_side, many, ls.series);
      if (!Present(sig)) continue;
      const StepSample& rs = sig_sample_[sig];
      double vl = ls.v, vr = rs.v;
      if (swapped) std::swap(vl, vr);
      bool keep;
      double value = ElemBinop(op_, vl, vr, &keep);
      if (return_bool_) {
        value = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      uint64_t pair = (static_cast<uint64_t>(ls.series) << 32) | rs.series;
      auto [it, inserted] = result_ids_.try_emplace(pair, kNoId);
      if (inserted) {
        it->second = out.Intern(
            ResultLabels((*many.matrix)[ls.series].labels, (*one.matrix)[rs.series].labels));
      }
      uint32_t id = it->second;
      // Each match group may produce one result (one-to-one), or one per result label set.
      uint64_t key =
          matching_.cardinality == Card::kOneToOne ? sig : (static_cast<uint64_t>(sig) << 32) | id;
      if (!matched_.insert(key).second) {
        return Status::InvalidArgument(
            matching_.cardinality == Card::kOneToOne
                ? "multiple matches for labels: many-to-one matching must be explicit "
                  "(group_left/group_right)"
                : "multiple matches for labels: grouping labels must ensure unique matches");
      }
      out.Add(id, value);
    }
    return Status::Ok();
  }

  BinaryOp op_;
  VectorMatching matching_;
  bool return_bool_;
  int64_t step_ = -1;
  LabelInterner signatures_;
  std::vector<uint32_t> sigs_[2];       // series -> signature, by side
  std::vector<int64_t> sig_step_;       // the step a signature was last seen on the marked side
  std::vector<StepSample> sig_sample_;  // the "one" side's sample of a signature
  OutputIdCache same_ids_[2];
  std::unordered_map<uint64_t, uint32_t> result_ids_;
  std::unordered_set<uint64_t> matched_;
};

}  // namespace

Result<std::unique_ptr<StepFunction>> MakeBinaryOperation(const PlanNode& node) {
  const Binary& bin = std::get<Binary>(node.expr->node);
  const bool lhs_scalar = node.children[0]->type == ValueType::kScalar;
  const bool rhs_scalar = node.children[1]->type == ValueType::kScalar;
  if (lhs_scalar && rhs_scalar)
    return std::unique_ptr<StepFunction>(std::make_unique<ScalarBinary>(bin.op));
  if (lhs_scalar || rhs_scalar) {
    return std::unique_ptr<StepFunction>(
        std::make_unique<VectorScalarBinary>(bin.op, lhs_scalar, bin.return_bool));
  }
  VectorMatching matching = bin.matching.value_or(VectorMatching{});
  if (IsSetOperator(bin.op)) matching.cardinality = VectorMatching::Cardinality::kManyToMany;
  return std::unique_ptr<StepFunction>(
      std::make_unique<VectorBinary>(bin.op, std::move(matching), bin.return_bool));
}

}  // namespace sluice::query::promql::internal
