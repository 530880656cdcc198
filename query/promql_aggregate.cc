// Aggregation operators as Prometheus 2.42's evaluator.aggregation computes them (its
// incremental mean with Inf handling, Welford's variance, container/heap based topk/bottomk),
// the quantile estimations (quantile, quantile_over_time, histogram_quantile with
// bucketQuantile's monotonicity fix) and the Go number formatting they answer with.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "query/promql_eval.h"
#include "query/promql_go.h"
#include "query/promql_gosort.h"

namespace sluice::query::promql::internal {
namespace {

// histogram_quantile over conventional buckets: one group per label set without `le`
// (the metric name included), answered without `le` and the name.
struct Bucket {
  double upper_bound;
  double count;
};

double BucketQuantile(double q, std::vector<Bucket>& buckets) {
  if (std::isnan(q)) return std::nan("");
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  struct Data {
    std::vector<Bucket>& b;
    int Len() const { return static_cast<int>(b.size()); }
    bool Less(int i, int j) const {
      return b[static_cast<size_t>(i)].upper_bound < b[static_cast<size_t>(j)].upper_bound;
    }
    void Swap(int i, int j) { std::swap(b[static_cast<size_t>(i)], b[static_cast<size_t>(j)]); }
  } data{buckets};
  gosort::Sort(data);
  if (!(std::isinf(buckets.back().upper_bound) && buckets.back().upper_bound > 0)) {
    return std::nan("");
  }
  // Buckets with the same bound (after label_replace and friends) add up.
  size_t n = 0;
  for (size_t i = 1; i < buckets.size(); ++i) {
    if (buckets[i].upper_bound == buckets[n].upper_bound) {
      buckets[n].count += buckets[i].count;
    } else {
      buckets[++n] = buckets[i];
    }
  }
  buckets.resize(n + 1);
  // Counts must not decrease with the bound (ensureMonotonic).
  double max = -INFINITY;
  for (Bucket& b : buckets) {
    if (b.count > max) {
      max = b.count;
    } else if (b.count < max) {
      b.count = max;
    }
  }
  if (buckets.size() < 2) return std::nan("");
  double observations = buckets.back().count;
  if (observations == 0) return std::nan("");
  double rank = q * observations;
  size_t b = 0;
  {
    size_t lo = 0, hi = buckets.size() - 1;  // sort.Search over all but the +Inf bucket
    while (lo < hi) {
      size_t h = (lo + hi) / 2;
      if (!(buckets[h].count >= rank)) {
        lo = h + 1;
      } else {
        hi = h;
      }
    }
    b = lo;
  }
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double bucket_start = 0;
  double bucket_end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    bucket_start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

class HistogramQuantileFunction final : public StepFunction {
 public:
  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    const double q = args[0].scalar();
    const StepArg& vec = args[1];
    touched_.clear();
    for (const StepSample& s : vec.samples) {
      if (s.series >= series_.size()) series_.resize(s.series + 1);
      SeriesInfo& info = series_[s.series];
      if (!info.known) Describe((*vec.matrix)[s.series].labels, &info);
      if (!info.upper_bound) continue;  // no or malformed `le`: skipped
      Group& g = groups_[info.group];
      if (g.buckets.empty()) touched_.push_back(info.group);
      g.buckets.push_back({*info.upper_bound, s.v});
    }
    for (uint32_t group : touched_) {
      Group& g = groups_[group];
      if (g.out == kNoId) g.out = out.Intern(g.labels);
      out.Add(g.out, BucketQuantile(q, g.buckets));
      g.buckets.clear();
    }
    return Status::Ok();
  }

 private:
  struct SeriesInfo {
    bool known = false;
    std::optional<double> upper_bound;
    uint32_t group = 0;
  };
  struct Group {
    Labels labels;  // without `le` and the name
    uint32_t out = kNoId;
    std::vector<Bucket> buckets;
  };

  void Describe(const Labels& labels, SeriesInfo* info) {
    info->known = true;
    info->upper_bound = GoParseFloat(LabelValue(labels, "le"));
    if (!info->upper_bound) return;
    Labels key;
    for (const Label& l : labels) {
      if (l.name != "le") key.push_back(l);
    }
    info->group = keys_.Intern(key);
    if (info->group >= groups_.size()) {
      groups_.resize(info->group + 1);
      groups_[info->group].labels = DropMetricName(key);
    }
  }

  LabelInterner keys_;
  std::vector<SeriesInfo> series_;
  std::vector<Group> groups_;
  std::vector<uint32_t> touched_;
};

// The value heaps of topk and bottomk (vectorByValueHeap, vectorByReverseValueHeap), with
// Go's NaN-first comparison.
struct HeapItem {
  uint32_t series;
  double v;
};
struct ValueHeap {
  std::vector<HeapItem>* items;
  bool reverse;                 // vectorByReverseValueHeap
  bool reversed_order = false;  // sort.Reverse
  int Len() const { return static_cast<int>(items->size()); }
  bool Less(int i, int j) const {
    if (reversed_order) std::swap(i, j);
    double a = (*items)[static_cast<size_t>(i)].v, b = (*items)[static_cast<size_t>(j)].v;
    if (std::isnan(a)) return true;
    return reverse ? a > b : a < b;
  }
  void Swap(int i, int j) {
    std::swap((*items)[static_cast<size_t>(i)], (*items)[static_cast<size_t>(j)]);
  }
};

struct GroupState {
  int64_t step = -1;  // the step this state was started at
  double value = 0;
  double mean = 0;
  int64_t count = 0;
  std::vector<HeapItem> heap;
  uint32_t out = kNoId;
};

class Aggregation final : public StepFunction {
 public:
  Aggregation(AggregateOp op, std::vector<std::string> grouping, bool without,
              std::string value_label)
      : op_(op),
        grouping_(std::move(grouping)),
        without_(without),
        value_label_(std::move(value_label)) {
    if (op_ == AggregateOp::kCountValues && !without_) {
      grouping_.push_back(value_label_);
    }
    std::sort(grouping_.begin(), grouping_.end());
  }

  Status Step(int64_t, std::span<const StepArg> args, SeriesBuilder& out) override {
    ++step_;
    const StepArg& vec = args[1];
    int64_t k = 0;
    double q = 0;
    if (op_ == AggregateOp::kTopk || op_ == AggregateOp::kBottomk) {
      double f = args[0].scalar();
      if (!(f <= 9223372036854774784.0 && f >= -9223372036854775808.0)) {
        return Status::InvalidArgument(
            fmt::format("Scalar value {} overflows int64", GoFormatFloatV(f)));
      }
      k = static_cast<int64_t>(f);
      if (k < 1) return Status::Ok();
    }
    if (op_ == AggregateOp::kQuantile) q = args[0].scalar();
    order_.clear();
    for (const StepSample& s : vec.samples) {
      uint32_t g = GroupOf(*vec.matrix, s);
      GroupState& st = states_[g];
      if (st.step != step_) {
        Start(st, s, g);
        continue;
      }
      Accumulate(st, s, k);
    }
    for (uint32_t g : order_) {
      SLUICE_RETURN_IF_ERROR(Emit(states_[g], g, q, *vec.matrix, out));
    }
    return Status::Ok();
  }

 private:
  uint32_t GroupOf(const Matrix& m, const StepSample& s) {
    if (op_ == AggregateOp::kCountValues) {
      // The value becomes a label: the group depends on it.
      Labels labels = m[s.series].labels;
      std::string value = GoFormatFloatF(s.v);
      auto it = std::find_if(labels.begin(), labels.end(),
                             [&](const Label& l) { return l.name == value_label_; });
      if (it != labels.end()) {
        it->value = std::move(value);
      } else {
        labels.push_back({value_label_, std::move(value)});
        std::sort(labels.begin(), labels.end());
      }
      return Intern(Reduce(labels));
    }
    if (s.series >= group_of_.size()) group_of_.resize(s.series + 1, kNoId);
    uint32_t& g = group_of_[s.series];
    if (g == kNoId) g = Intern(Reduce(m[s.series].labels));
    return g;
  }

  Labels Reduce(const Labels& labels) const {
    Labels reduced;
    for (const Label& l : labels) {
      bool listed = std::binary_search(grouping_.begin(), grouping_.end(), l.name);
      if (without_ ? (!listed && l.name != "__name__") : listed) reduced.push_back(l);
    }
    return reduced;
  }

  uint32_t Intern(Labels labels) {
    uint32_t g = groups_.Intern(std::move(labels));
    if (g >= states_.size()) states_.resize(g + 1);
    return g;
  }

  void Start(GroupState& st, const StepSample& s, uint32_t g) {
    st.step = step_;
    st.value = s.v;
    st.mean = s.v;
    st.count = 1;
    st.heap.clear();
    order_.push_back(g);
    switch (op_) {
      case AggregateOp::kStddev:
      case AggregateOp::kStdvar:
        st.value = 0;
        break;
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk:
      case AggregateOp::kQuantile:
        st.heap.push_back({s.series, s.v});
        break;
      case AggregateOp::kGroup:
        st.value = 1;
        break;
      default:
        break;
    }
  }

  void Accumulate(GroupState& st, const StepSample& s, int64_t k) {
    switch (op_) {
      case AggregateOp::kSum:
        st.value += s.v;
        break;
      case AggregateOp::kAvg:
        ++st.count;
        if (std::isinf(st.mean)) {
          // Inf - Inf would turn the mean into NaN: an Inf mean stays unless NaN or the
          // opposite Inf arrives.
          if (std::isinf(s.v) && (st.mean > 0) == (s.v > 0)) break;
          if (!std::isinf(s.v) && !std::isnan(s.v)) break;
        }
        // Each side divided by the count to avoid overflow.
        st.mean += s.v / static_cast<double>(st.count) - st.mean / static_cast<double>(st.count);
        break;
      case AggregateOp::kMax:
        if (st.value < s.v || std::isnan(st.value)) st.value = s.v;
        break;
      case AggregateOp::kMin:
        if (st.value > s.v || std::isnan(st.value)) st.value = s.v;
        break;
      case AggregateOp::kCount:
      case AggregateOp::kCountValues:
        ++st.count;
        break;
      case AggregateOp::kStddev:
      case AggregateOp::kStdvar: {
        ++st.count;
        double delta = s.v - st.mean;
        st.mean += delta / static_cast<double>(st.count);
        st.value += delta * (s.v - st.mean);
        break;
      }
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk: {
        const bool top = op_ == AggregateOp::kTopk;
        ValueHeap h{&st.heap, !top};
        double head = st.heap[0].v;
        bool better = top ? head < s.v : head > s.v;
        if (static_cast<int64_t>(st.heap.size()) < k || better || std::isnan(head)) {
          if (static_cast<int64_t>(st.heap.size()) == k) {
            if (k == 1) {  // replaced in place
              st.heap[0] = {s.series, s.v};
              break;
            }
            int n = h.Len() - 1;  // heap.Pop
            h.Swap(0, n);
            gosort::HeapDown(h, 0, n);
            st.heap.pop_back();
          }
          st.heap.push_back({s.series, s.v});  // heap.Push
          gosort::HeapUp(h, h.Len() - 1);
        }
        break;
      }
      case AggregateOp::kQuantile:
        st.heap.push_back({s.series, s.v});
        break;
      case AggregateOp::kGroup:
        break;
    }
  }

  Status Emit(GroupState& st, uint32_t g, double q, const Matrix& m, SeriesBuilder& out) {
    double value = st.value;
    switch (op_) {
      case AggregateOp::kAvg:
        value = st.mean;
        break;
      case AggregateOp::kCount:
      case AggregateOp::kCountValues:
        value = static_cast<double>(st.count);
        break;
      case AggregateOp::kStdvar:
        value = st.value / static_cast<double>(st.count);
        break;
      case AggregateOp::kStddev:
        value = std::sqrt(st.value / static_cast<double>(st.count));
        break;
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk: {
        if (st.heap.size() > 1) {
          ValueHeap h{&st.heap, op_ == AggregateOp::kBottomk, true};
          gosort::Sort(h);
        }
        for (const HeapItem& item : st.heap) {
          out.Add(series_ids_.Get(item.series, out, [&] { return m[item.series].labels; }), item.v);
        }
        return Status::Ok();
      }
      case AggregateOp::kQuantile: {
        values_.clear();
        for (const HeapItem& item : st.heap) values_.push_back(item.v);
        value = Quantile(q, values_);
        break;
      }
      default:
        break;
    }
    if (st.out == kNoId) st.out = out.Intern(groups_.labels(g));
    out.Add(st.out, value);
    return Status::Ok();
  }

  AggregateOp op_;
  std::vector<std::string> grouping_;  // sorted
  bool without_;
  std::string value_label_;
  int64_t step_ = -1;
  LabelInterner groups_;            // reduced label sets: the groups and their output labels
  std::vector<uint32_t> group_of_;  // input series -> group
  std::vector<GroupState> states_;  // by group
  std::vector<uint32_t> order_;     // groups of this step in order of appearance
  OutputIdCache series_ids_;        // topk/bottomk output by input series
  std::vector<double> values_;
};

}  // namespace

double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return std::nan("");
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  struct Data {
    std::vector<double>& v;
    int Len() const { return static_cast<int>(v.size()); }
    bool Less(int i, int j) const {  // vectorByValueHeap: NaN first
      double a = v[static_cast<size_t>(i)];
      return std::isnan(a) || a < v[static_cast<size_t>(j)];
    }
    void Swap(int i, int j) { std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(j)]); }
  } data{values};
  gosort::Sort(data);
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

Result<std::unique_ptr<StepFunction>> MakeHistogramQuantile() {
  return std::unique_ptr<StepFunction>(std::make_unique<HistogramQuantileFunction>());
}

Result<std::unique_ptr<StepFunction>> MakeAggregation(const PlanNode& node) {
  const Aggregate& agg = std::get<Aggregate>(node.expr->node);
  std::string value_label;
  if (agg.op == AggregateOp::kCountValues) {
    const PlanNode* param = node.children[0].get();
    while (param->kind == PlanNode::Kind::kParen || param->kind == PlanNode::Kind::kStepInvariant) {
      param = param->children[0].get();
    }
    value_label = std::get<StringLiteral>(param->expr->node).value;
    if (!storage::IsValidLabelName(value_label)) {
      return Status::InvalidArgument(fmt::format("invalid label name {}", GoQuote(value_label)));
    }
  }
  return std::unique_ptr<StepFunction>(
      std::make_unique<Aggregation>(agg.op, agg.grouping, agg.without, std::move(value_label)));
}

}  // namespace sluice::query::promql::internal
