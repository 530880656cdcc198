// PromQL's instant-vector functions as Prometheus 2.42's promql/functions.go computes them, step
// by step (the range-vector ones are in promql_range_functions.cc).
#include <fmt/format.h>
#include <re2/re2.h>

#include <cmath>
#include <numbers>

#include "query/promql_eval.h"
#include "query/promql_go.h"
#include "query/promql_gosort.h"

namespace sluice::query::promql::internal {
namespace {

std::string_view StringArg(const PlanNode* n) {
  while (n->kind == PlanNode::Kind::kParen || n->kind == PlanNode::Kind::kStepInvariant) {
    n = n->children[0].get();
  }
  return std::get<StringLiteral>(n->expr->node).value;
}

double Sgn(double v) { return v < 0 ? -1 : (v > 0 ? 1 : v); }
double Deg(double v) { return v * 180 / std::numbers::pi; }
double Rad(double v) { return v * std::numbers::pi / 180; }

// The calendar field a date function answers with; nullptr for other functions.
using DateField = double (*)(const GoDate&);
DateField FindDateField(std::string_view name) {
  static const std::pair<std::string_view, DateField> kFields[] = {
      {"year", [](const GoDate& d) { return static_cast<double>(d.year); }},
      {"month", [](const GoDate& d) { return static_cast<double>(d.month); }},
      {"day_of_month", [](const GoDate& d) { return static_cast<double>(d.day); }},
      {"day_of_year", [](const GoDate& d) { return static_cast<double>(d.yday + 1); }},
      {"day_of_week",
       [](const GoDate& d) {  // Go's Weekday: the absolute epoch is a Monday
         return static_cast<double>((d.abs + kSecondsPerDay) % (7 * kSecondsPerDay) /
                                    kSecondsPerDay);
       }},
      {"hour", [](const GoDate& d) { return static_cast<double>(d.abs % kSecondsPerDay / 3600); }},
      {"minute", [](const GoDate& d) { return static_cast<double>(d.abs % 3600 / 60); }},
      {"days_in_month",
       [](const GoDate& d) {
         static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
         return static_cast<double>(d.month == 2 && IsLeap(d.year) ? 29 : kDays[d.month - 1]);
       }},
  };
  for (const auto& [n, f] : kFields) {
    if (n == name) return f;
  }
  return nullptr;
}

// A function of each sample's value whose result drops the metric name.
template <typename F>
class PerSampleFunction final : public StepFunction {
 public:
  explicit PerSampleFunction(F f) : f_(std::move(f)) {}
  Status Step(int64_t ts, std::span<const StepArg> args, SeriesBuilder& out) override {
    const StepArg& vec = args[0];
    bool keep = true;
    for (const StepSample& s : vec.samples) {
      double v = f_(s.v, ts, args, &keep);
      if (!keep) return Status::Ok();
      uint32_t id =
          ids_.Get(s.series, out, [&] { return DropMetricName((*vec.matrix)[s.series].labels); });
      out.Add(id, v);
    }
    return Status::Ok();
  }

 private:
  F f_;
  OutputIdCache ids_;
};

template <typename F>
std::unique_ptr<StepFunction> PerSample(F f) {
  return std::make_unique<PerSampleFunction<F>>(std::move(f));
}

std::unique_ptr<StepFunction> Math(double (*f)(double)) {
  return PerSample([f](double v, int64_t, std::span<const StepArg>, bool*) { return f(v); });
}

// A function without a vector argument: one sample without labels per step.
template <typename F>
class ConstantLabelsFunction final : public StepFunction {
 public:
  explicit ConstantLabelsFunction(F f) : f_(std::move(f)) {}
  Status Step(int64_t ts, std::span<const StepArg> args, SeriesBuilder& out) override {
    if (id_ == kNoId) id_ = out.Intern(Labels{});
    out.Add(id_, f_(ts, args));
    return Status::Ok();
  }

 private:
  F f_;
  uint32_t id_ = kNoId;
};

template <typename F>
std::unique_ptr<StepFunction> ConstantLabels(F f) {
  return std::make_unique<ConstantLabelsFunction<F>>(std::move(f));
}

// sort() and sort_desc(): the step's samples in Go's sort order, labels unchanged.
class SortFunction final : public StepFunction {
 public:
  explicit SortFunction(bool descending) : descending_(descending) {}
  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    const StepArg& vec = args[0];
    struct Data {
      std::vector<StepSample>& s;
      bool desc;
      int Len() const { return static_cast<int>(s.size()); }
      // sort.Reverse of vectorByReverseValueHeap (sort) or vectorByValueHeap (sort_desc).
      bool Less(int i, int j) const {
        double a = s[static_cast<size_t>(j)].v, b = s[static_cast<size_t>(i)].v;
        if (std::isnan(a)) return true;
        return desc ? a < b : a > b;
      }
      void Swap(int i, int j) { std::swap(s[static_cast<size_t>(i)], s[static_cast<size_t>(j)]); }
    };
    samples_ = vec.samples;
    Data data{samples_, descending_};
    gosort::Sort(data);
    for (const StepSample& s : samples_) {
      out.Add(ids_.Get(s.series, out, [&] { return (*vec.matrix)[s.series].labels; }), s.v);
    }
    return Status::Ok();
  }

 private:
  bool descending_;
  std::vector<StepSample> samples_;
  OutputIdCache ids_;
};

class AbsentFunction final : public StepFunction {
 public:
  explicit AbsentFunction(Labels labels) : labels_(std::move(labels)) {}
  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    if (!args[0].samples.empty()) return Status::Ok();
    if (id_ == kNoId) id_ = out.Intern(labels_);
    out.Add(id_, 1);
    return Status::Ok();
  }

 private:
  Labels labels_;
  uint32_t id_ = kNoId;
};

class LabelReplaceFunction final : public StepFunction {
 public:
  LabelReplaceFunction(std::unique_ptr<RE2> re, std::string dst, std::string repl, std::string src)
      : re_(std::move(re)), dst_(std::move(dst)), repl_(std::move(repl)), src_(std::move(src)) {}

  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    const StepArg& vec = args[0];
    for (const StepSample& s : vec.samples) {
      out.Add(ids_.Get(s.series, out, [&] { return Replace((*vec.matrix)[s.series].labels); }),
              s.v);
    }
    return Status::Ok();
  }

 private:
  Labels Replace(const Labels& labels) const {
    std::string_view value = LabelValue(labels, src_);
    std::vector<re2::StringPiece> groups(static_cast<size_t>(re_->NumberOfCapturingGroups()) + 1);
    if (!re_->Match(value, 0, value.size(), RE2::UNANCHORED, groups.data(),
                    static_cast<int>(groups.size()))) {
      return labels;
    }
    std::vector<std::string_view> views(groups.begin(), groups.end());
    std::string result = GoExpand(repl_, views, re_->NamedCapturingGroups());
    Labels next;
    next.reserve(labels.size() + 1);
    for (const Label& l : labels) {
      if (l.name != dst_) next.push_back(l);
    }
    if (!result.empty()) {
      next.push_back({dst_, std::move(result)});
      std::sort(next.begin(), next.end());
    }
    return next;
  }

  std::unique_ptr<RE2> re_;
  std::string dst_, repl_, src_;
  OutputIdCache ids_;
};

Result<std::unique_ptr<StepFunction>> MakeLabelReplace(const PlanNode& call) {
  std::string dst(StringArg(call.children[1].get()));
  std::string repl(StringArg(call.children[2].get()));
  std::string src(StringArg(call.children[3].get()));
  std::string_view regex = StringArg(call.children[4].get());
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>("^(?:" + std::string(regex) + ")$", options);
  if (!re->ok()) {
    return Status::InvalidArgument(
        fmt::format("invalid regular expression in label_replace(): {}", regex));
  }
  if (!storage::IsValidLabelName(dst)) {
    return Status::InvalidArgument(
        fmt::format("invalid destination label name in label_replace(): {}", dst));
  }
  return std::unique_ptr<StepFunction>(std::make_unique<LabelReplaceFunction>(
      std::move(re), std::move(dst), std::move(repl), std::move(src)));
}

class LabelJoinFunction final : public StepFunction {
 public:
  LabelJoinFunction(std::string dst, std::string sep, std::vector<std::string> srcs)
      : dst_(std::move(dst)), sep_(std::move(sep)), srcs_(std::move(srcs)) {}

  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    const StepArg& vec = args[0];
    for (const StepSample& s : vec.samples) {
      out.Add(ids_.Get(s.series, out, [&] { return Join((*vec.matrix)[s.series].labels); }), s.v);
    }
    return Status::Ok();
  }

 private:
  Labels Join(const Labels& labels) const {
    std::string joined;
    for (size_t i = 0; i < srcs_.size(); ++i) {
      if (i > 0) joined.append(sep_);
      joined.append(LabelValue(labels, srcs_[i]));
    }
    Labels next;
    for (const Label& l : labels) {
      if (l.name != dst_) next.push_back(l);
    }
    if (!joined.empty()) {
      next.push_back({dst_, std::move(joined)});
      std::sort(next.begin(), next.end());
    }
    return next;
  }

  std::string dst_, sep_;
  std::vector<std::string> srcs_;
  OutputIdCache ids_;
};

Result<std::unique_ptr<StepFunction>> MakeLabelJoin(const PlanNode& call) {
  std::string dst(StringArg(call.children[1].get()));
  std::string sep(StringArg(call.children[2].get()));
  std::vector<std::string> srcs;
  for (size_t i = 3; i < call.children.size(); ++i) {
    std::string src(StringArg(call.children[i].get()));
    if (!storage::IsValidLabelName(src)) {
      return Status::InvalidArgument(
          fmt::format("invalid source label name in label_join(): {}", src));
    }
    srcs.push_back(std::move(src));
  }
  if (!storage::IsValidLabelName(dst)) {
    return Status::InvalidArgument(
        fmt::format("invalid destination label name in label_join(): {}", dst));
  }
  return std::unique_ptr<StepFunction>(
      std::make_unique<LabelJoinFunction>(std::move(dst), std::move(sep), std::move(srcs)));
}

// The native-histogram functions, which ignore float samples.
class NothingFunction final : public StepFunction {
 public:
  Status Step(int64_t, std::span<const StepArg>, SeriesBuilder&) override { return Status::Ok(); }
};

double (*FindMath(std::string_view name))(double) {
  static const std::pair<std::string_view, double (*)(double)> kMath[] = {
      {"abs", [](double v) { return std::fabs(v); }},
      {"ceil", [](double v) { return std::ceil(v); }},
      {"floor", [](double v) { return std::floor(v); }},
      {"exp", [](double v) { return std::exp(v); }},
      {"sqrt", [](double v) { return std::sqrt(v); }},
      {"ln", GoLog},
      {"log2", GoLog2},
      {"log10", GoLog10},
      {"sin", [](double v) { return std::sin(v); }},
      {"cos", [](double v) { return std::cos(v); }},
      {"tan", [](double v) { return std::tan(v); }},
      {"asin", [](double v) { return std::asin(v); }},
      {"acos", [](double v) { return std::acos(v); }},
      {"atan", [](double v) { return std::atan(v); }},
      {"sinh", [](double v) { return std::sinh(v); }},
      {"cosh", [](double v) { return std::cosh(v); }},
      {"tanh", [](double v) { return std::tanh(v); }},
      {"asinh", [](double v) { return std::asinh(v); }},
      {"acosh", [](double v) { return std::acosh(v); }},
      {"atanh", [](double v) { return std::atanh(v); }},
      {"deg", Deg},
      {"rad", Rad},
      {"sgn", Sgn},
  };
  for (const auto& [n, f] : kMath) {
    if (n == name) return f;
  }
  return nullptr;
}

}  // namespace

Labels LabelsForAbsent(const PlanNode* arg) {
  while (arg->kind == PlanNode::Kind::kParen) arg = arg->children[0].get();
  if (arg->kind != PlanNode::Kind::kVectorSelector &&
      arg->kind != PlanNode::Kind::kMatrixSelector) {
    return {};
  }
  // Labels matched by exactly one equality matcher; any other matcher on a name removes it.
  Labels labels;
  std::vector<std::string_view> removed;
  for (const storage::LabelMatcher& m : arg->selector->matchers) {
    if (m.name() == "__name__") continue;
    bool have = std::any_of(labels.begin(), labels.end(),
                            [&](const Label& l) { return l.name == m.name(); });
    if (m.op() == storage::MatchOp::kEqual && !have) {
      labels.push_back({m.name(), m.value()});
    } else {
      removed.push_back(m.name());
    }
  }
  std::erase_if(labels, [&](const Label& l) {
    return std::find(removed.begin(), removed.end(), l.name) != removed.end();
  });
  std::sort(labels.begin(), labels.end());
  return labels;
}

Result<std::unique_ptr<StepFunction>> MakeCallFunction(const PlanNode& call) {
  std::string_view name = std::get<Call>(call.expr->node).function->name;
  if (auto f = FindMath(name)) return Math(f);
  if (DateField field = FindDateField(name)) {
    if (call.children.empty()) {  // of the evaluation time
      return ConstantLabels(
          [field](int64_t ts, std::span<const StepArg>) { return field(GoDateOf(ts / 1000)); });
    }
    return PerSample([field](double v, int64_t, std::span<const StepArg>, bool*) {
      return field(GoDateOf(GoFloatToInt64(v)));
    });
  }
  if (name == "clamp") {
    return PerSample([](double v, int64_t, std::span<const StepArg> a, bool* keep) {
      double min = a[1].scalar(), max = a[2].scalar();
      *keep = !(max < min);
      return GoMax(min, GoMin(max, v));
    });
  }
  if (name == "clamp_max") {
    return PerSample([](double v, int64_t, std::span<const StepArg> a, bool*) {
      return GoMin(a[1].scalar(), v);
    });
  }
  if (name == "clamp_min") {
    return PerSample([](double v, int64_t, std::span<const StepArg> a, bool*) {
      return GoMax(a[1].scalar(), v);
    });
  }
  if (name == "round") {
    return PerSample([](double v, int64_t, std::span<const StepArg> a, bool*) {
      double to_nearest = a.size() >= 2 ? a[1].scalar() : 1;
      double inverse = 1.0 / to_nearest;  // inverted: fewer floating point accuracy issues
      return std::floor(v * inverse + 0.5) / inverse;
    });
  }
  if (name == "timestamp") {
    // Over an evaluated expression every sample's time is the step's.
    return PerSample([](double, int64_t ts, std::span<const StepArg>, bool*) {
      return static_cast<double>(ts) / 1000;
    });
  }
  if (name == "time") {
    return ConstantLabels(
        [](int64_t ts, std::span<const StepArg>) { return static_cast<double>(ts) / 1000; });
  }
  if (name == "pi") {
    return ConstantLabels([](int64_t, std::span<const StepArg>) { return std::numbers::pi; });
  }
  if (name == "vector") {
    return ConstantLabels([](int64_t, std::span<const StepArg> a) { return a[0].scalar(); });
  }
  if (name == "scalar") {
    return ConstantLabels([](int64_t, std::span<const StepArg> a) {
      return a[0].samples.size() == 1 ? a[0].samples[0].v : std::nan("");
    });
  }
  if (name == "sort" || name == "sort_desc") {
    return std::unique_ptr<StepFunction>(std::make_unique<SortFunction>(name == "sort_desc"));
  }
  if (name == "absent") {
    return std::unique_ptr<StepFunction>(
        std::make_unique<AbsentFunction>(LabelsForAbsent(call.children[0].get())));
  }
  if (name == "label_replace") return MakeLabelReplace(call);
  if (name == "label_join") return MakeLabelJoin(call);
  if (name == "histogram_quantile") return MakeHistogramQuantile();
  if (name == "histogram_count" || name == "histogram_sum" || name == "histogram_fraction") {
    return std::unique_ptr<StepFunction>(std::make_unique<NothingFunction>());
  }
  return Status::InvalidArgument(fmt::format("unknown function {}", name));
}

}  // namespace sluice::query::promql::internal
