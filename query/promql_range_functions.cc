// PromQL's range-vector functions as Prometheus 2.42's promql/functions.go computes them over
// one series' window: the rate family (extrapolatedRate, instantValue), regression (deriv,
// predict_linear), holt_winters, changes, resets and every *_over_time.
#include <fmt/format.h>

#include <cmath>

#include "query/promql_eval.h"

namespace sluice::query::promql::internal {
namespace {

// Go's Duration.Seconds() of a millisecond range.
double RangeSeconds(int64_t ms) {
  return static_cast<double>(ms / 1000) + static_cast<double>((ms % 1000) * 1'000'000) / 1e9;
}

// Neumaier's compensated summation step (Prometheus' kahanSumInc).
inline void KahanAdd(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// extrapolatedRate: rate, increase and delta.
bool ExtrapolatedRate(std::span<const Point> p, const RangeCall& call, bool is_counter,
                      bool is_rate, double* out) {
  if (p.size() < 2) return false;
  const int64_t range_start = call.ts - (call.range + call.offset);
  const int64_t range_end = call.ts - call.offset;
  double result = p.back().v - p.front().v;
  if (is_counter && call.resets != 0) {
    double last = 0;
    for (const Point& s : p) {
      if (s.v < last) result += last;
      last = s.v;
    }
  }
  double to_start = static_cast<double>(p.front().t - range_start) / 1000;
  double to_end = static_cast<double>(range_end - p.back().t) / 1000;
  double sampled = static_cast<double>(p.back().t - p.front().t) / 1000;
  double average = sampled / static_cast<double>(p.size() - 1);
  if (is_counter && result > 0 && p.front().v >= 0) {
    // A counter does not go below zero: extrapolate at most to where it would reach it.
    double to_zero = sampled * (p.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = average * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : average / 2;
  interval += to_end < threshold ? to_end : average / 2;
  double factor = interval / sampled;
  if (is_rate) factor /= RangeSeconds(call.range);
  *out = result * factor;
  return true;
}

bool Rate(std::span<const Point> p, const RangeCall& c, double* out, Status*) {
  return ExtrapolatedRate(p, c, true, true, out);
}
bool Increase(std::span<const Point> p, const RangeCall& c, double* out, Status*) {
  return ExtrapolatedRate(p, c, true, false, out);
}
bool Delta(std::span<const Point> p, const RangeCall& c, double* out, Status*) {
  return ExtrapolatedRate(p, c, false, false, out);
}

// instantValue: irate and idelta.
bool InstantValue(std::span<const Point> p, bool is_rate, double* out) {
  if (p.size() < 2) return false;
  const Point& last = p[p.size() - 1];
  const Point& previous = p[p.size() - 2];
  double result = is_rate && last.v < previous.v ? last.v : last.v - previous.v;
  int64_t interval = last.t - previous.t;
  if (interval == 0) return false;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  *out = result;
  return true;
}
bool Irate(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  return InstantValue(p, true, out);
}
bool Idelta(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  return InstantValue(p, false, out);
}

// linearRegression: least squares with compensated sums, x relative to intercept_time.
void LinearRegression(std::span<const Point> p, int64_t intercept_time, double* slope,
                      double* intercept) {
  double n = 0, sum_x = 0, c_x = 0, sum_y = 0, c_y = 0, sum_xy = 0, c_xy = 0, sum_x2 = 0, c_x2 = 0;
  const double init_y = p[0].v;
  bool const_y = true;
  for (size_t i = 0; i < p.size(); ++i) {
    if (const_y && i > 0 && p[i].v != init_y) const_y = false;
    n += 1.0;
    double x = static_cast<double>(p[i].t - intercept_time) / 1e3;
    KahanAdd(x, &sum_x, &c_x);
    KahanAdd(p[i].v, &sum_y, &c_y);
    KahanAdd(x * p[i].v, &sum_xy, &c_xy);
    KahanAdd(x * x, &sum_x2, &c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = *intercept = std::nan("");
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  double cov_xy = sum_xy - sum_x * sum_y / n;
  double var_x = sum_x2 - sum_x * sum_x / n;
  *slope = cov_xy / var_x;
  *intercept = sum_y / n - *slope * sum_x / n;
}

bool Deriv(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  if (p.size() < 2) return false;
  double slope, intercept;
  LinearRegression(p, p[0].t, &slope, &intercept);
  *out = slope;
  return true;
}

bool PredictLinear(std::span<const Point> p, const RangeCall& c, double* out, Status*) {
  if (p.size() < 2) return false;
  double slope, intercept;
  LinearRegression(p, c.ts, &slope, &intercept);
  *out = slope * c.scalar[1] + intercept;
  return true;
}

// Go's %f.
std::string GoFixed6(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.6f}", v);
}

bool HoltWinters(std::span<const Point> p, const RangeCall& c, double* out, Status* error) {
  const double sf = c.scalar[1];
  const double tf = c.scalar[2];
  if (sf <= 0 || sf >= 1) {
    *error = Status::InvalidArgument(
        fmt::format("invalid smoothing factor. Expected: 0 < sf < 1, got: {}", GoFixed6(sf)));
    return false;
  }
  if (tf <= 0 || tf >= 1) {
    *error = Status::InvalidArgument(
        fmt::format("invalid trend factor. Expected: 0 < tf < 1, got: {}", GoFixed6(tf)));
    return false;
  }
  if (p.size() < 2) return false;
  double s0 = 0, s1 = p[0].v, b = p[1].v - p[0].v;
  for (size_t i = 1; i < p.size(); ++i) {
    double x = sf * p[i].v;
    // calcTrendValue(i-1, ...): the first trend is the raw first difference.
    if (i - 1 != 0) b = tf * (s1 - s0) + (1 - tf) * b;
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  *out = s1;
  return true;
}

bool Changes(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  int changes = 0;
  double prev = p[0].v;
  for (size_t i = 1; i < p.size(); ++i) {
    double cur = p[i].v;
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++changes;
    prev = cur;
  }
  *out = changes;
  return true;
}

bool Resets(std::span<const Point> p, const RangeCall& c, double* out, Status*) {
  int64_t resets = c.resets;
  if (resets < 0) {
    resets = 0;
    for (size_t i = 1; i < p.size(); ++i) resets += p[i].v < p[i - 1].v;
  }
  *out = static_cast<double>(resets);
  return true;
}

bool AvgOverTime(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  double mean = 0, count = 0, c = 0;
  for (const Point& s : p) {
    count++;
    if (std::isinf(mean)) {
      // Inf stays Inf unless a NaN or the opposite Inf arrives (the update would give NaN).
      if (std::isinf(s.v) && (mean > 0) == (s.v > 0)) continue;
      if (!std::isinf(s.v) && !std::isnan(s.v)) continue;
    }
    KahanAdd(s.v / count - mean / count, &mean, &c);
  }
  *out = std::isinf(mean) ? mean : mean + c;
  return true;
}

bool CountOverTime(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  *out = static_cast<double>(p.size());
  return true;
}

bool LastOverTime(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  *out = p.back().v;
  return true;
}

bool MaxOverTime(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  double max = p[0].v;
  for (const Point& s : p) {
    if (s.v > max || std::isnan(max)) max = s.v;
  }
  *out = max;
  return true;
}

bool MinOverTime(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  double min = p[0].v;
  for (const Point& s : p) {
    if (s.v < min || std::isnan(min)) min = s.v;
  }
  *out = min;
  return true;
}

bool SumOverTime(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  double sum = 0, c = 0;
  for (const Point& s : p) KahanAdd(s.v, &sum, &c);
  *out = std::isinf(sum) ? sum : sum + c;
  return true;
}

bool QuantileOverTime(std::span<const Point> p, const RangeCall& c, double* out, Status*) {
  std::vector<double> values;
  values.reserve(p.size());
  for (const Point& s : p) values.push_back(s.v);
  *out = Quantile(c.scalar[0], values);
  return true;
}

double VarianceOverTime(std::span<const Point> p) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (const Point& s : p) {
    count++;
    double delta = s.v - (mean + c_mean);
    KahanAdd(delta / count, &mean, &c_mean);
    KahanAdd(delta * (s.v - (mean + c_mean)), &aux, &c_aux);
  }
  return (aux + c_aux) / count;
}

bool StddevOverTime(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  *out = std::sqrt(VarianceOverTime(p));
  return true;
}

bool StdvarOverTime(std::span<const Point> p, const RangeCall&, double* out, Status*) {
  *out = VarianceOverTime(p);
  return true;
}

bool One(std::span<const Point>, const RangeCall&, double* out, Status*) {
  *out = 1;
  return true;
}

}  // namespace

const RangeFunction* FindRangeFunction(std::string_view name) {
  static const std::pair<std::string_view, RangeFunction> kFunctions[] = {
      {"rate", {Rate, false, true}},
      {"increase", {Increase, false, true}},
      {"delta", {Delta, false, false}},
      {"irate", {Irate, false, false}},
      {"idelta", {Idelta, false, false}},
      {"deriv", {Deriv, false, false}},
      {"predict_linear", {PredictLinear, false, false}},
      {"holt_winters", {HoltWinters, false, false}},
      {"changes", {Changes, false, false}},
      {"resets", {Resets, false, true}},
      {"avg_over_time", {AvgOverTime, false, false}},
      {"count_over_time", {CountOverTime, false, false}},
      {"last_over_time", {LastOverTime, true, false}},
      {"max_over_time", {MaxOverTime, false, false}},
      {"min_over_time", {MinOverTime, false, false}},
      {"sum_over_time", {SumOverTime, false, false}},
      {"quantile_over_time", {QuantileOverTime, false, false}},
      {"stddev_over_time", {StddevOverTime, false, false}},
      {"stdvar_over_time", {StdvarOverTime, false, false}},
      {"present_over_time", {One, false, false}},
      {"absent_over_time", {One, false, false}},
  };
  for (const auto& [n, f] : kFunctions) {
    if (n == name) return &f;
  }
  return nullptr;
}

}  // namespace sluice::query::promql::internal
