// OTLP metrics: the JSON encoding is first read into the protobuf messages (otlp_metrics.proto),
// so one translation serves both encodings, as in otlp_logs.cc.
#include "pipeline/decoders/otlp_metrics.h"

#include <fmt/format.h>
#include <google/protobuf/arena.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <span>
#include <unordered_set>

#include "otlp_metrics.pb.h"
#include "pipeline/decoders/otlp_json.h"
#include "pipeline/decoders/otlp_logs.h"

namespace sluice::pipeline {
namespace {

using otlp_json::AsString;
using otlp_json::ForEachElement;
using otlp_json::ForEachField;
using otlp_json::JsonError;
using otlp_json::KeyIs;
using otlp_json::ReadBool;
using otlp_json::ReadDouble;
using otlp_json::ReadInteger;
using otlp_json::ReadKeyValues;
using otlp_json::ReadString;
using simdjson::ondemand::json_type;
using storage::LabelView;
namespace pb = sluice::otlp;

// --- JSON -> protobuf ---------------------------------------------------------------------------

// "aggregationTemporality": 2, or the enum value's name.
Status ReadTemporality(simdjson::ondemand::value v, pb::AggregationTemporality* out) {
  json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, "aggregationTemporality");
  if (type == json_type::string) {
    std::string_view name;
    if (auto e = v.get_string().get(name)) return JsonError(e, "aggregationTemporality");
    if (!pb::AggregationTemporality_Parse(std::string(name), out)) {
      return Status::InvalidArgument(
          fmt::format("invalid OTLP JSON at aggregationTemporality: unknown value \"{}\"", name));
    }
    return Status::Ok();
  }
  int32_t n = 0;
  SLUICE_RETURN_IF_ERROR(ReadInteger(v, "aggregationTemporality", &n));
  *out = static_cast<pb::AggregationTemporality>(n);
  return Status::Ok();
}

// The fields every kind of data point has; true when `key` was one of them.
template <typename Point>
Status ReadCommonPointField(std::string_view key, simdjson::ondemand::value v, Point* p,
                            bool* done) {
  *done = true;
  if (key == "attributes") return ReadKeyValues(v, 0, p->mutable_attributes());
  uint64_t t = 0;
  if (KeyIs(key, "timeUnixNano", "time_unix_nano")) {
    SLUICE_RETURN_IF_ERROR(ReadInteger(v, "timeUnixNano", &t));
    p->set_time_unix_nano(t);
  } else if (KeyIs(key, "startTimeUnixNano", "start_time_unix_nano")) {
    SLUICE_RETURN_IF_ERROR(ReadInteger(v, "startTimeUnixNano", &t));
    p->set_start_time_unix_nano(t);
  } else if (key == "flags") {
    uint32_t flags = 0;
    SLUICE_RETURN_IF_ERROR(ReadInteger(v, "flags", &flags));
    p->set_flags(flags);
  } else {
    *done = false;
  }
  return Status::Ok();
}

Status ReadNumberPoint(simdjson::ondemand::value v, pb::NumberDataPoint* p) {
  return ForEachField(v, "dataPoints", [&](std::string_view key, simdjson::ondemand::value fv) {
    bool done = false;
    SLUICE_RETURN_IF_ERROR(ReadCommonPointField(key, fv, p, &done));
    if (done) return Status::Ok();
    if (KeyIs(key, "asDouble", "as_double")) {
      double d = 0;
      SLUICE_RETURN_IF_ERROR(ReadDouble(fv, "asDouble", &d));
      p->set_as_double(d);
    } else if (KeyIs(key, "asInt", "as_int")) {
      int64_t i = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "asInt", &i));
      p->set_as_int(i);
    }
    return Status::Ok();
  });
}

Status ReadHistogramPoint(simdjson::ondemand::value v, pb::HistogramDataPoint* p) {
  return ForEachField(v, "dataPoints", [&](std::string_view key, simdjson::ondemand::value fv) {
    bool done = false;
    SLUICE_RETURN_IF_ERROR(ReadCommonPointField(key, fv, p, &done));
    if (done) return Status::Ok();
    double d = 0;
    if (key == "count") {
      uint64_t n = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "count", &n));
      p->set_count(n);
    } else if (key == "sum") {
      SLUICE_RETURN_IF_ERROR(ReadDouble(fv, "sum", &d));
      p->set_sum(d);
    } else if (key == "min") {
      SLUICE_RETURN_IF_ERROR(ReadDouble(fv, "min", &d));
      p->set_min(d);
    } else if (key == "max") {
      SLUICE_RETURN_IF_ERROR(ReadDouble(fv, "max", &d));
      p->set_max(d);
    } else if (KeyIs(key, "bucketCounts", "bucket_counts")) {
      return ForEachElement(fv, "bucketCounts", [&](simdjson::ondemand::value item) {
        uint64_t n = 0;
        SLUICE_RETURN_IF_ERROR(ReadInteger(item, "bucketCounts", &n));
        p->add_bucket_counts(n);
        return Status::Ok();
      });
    } else if (KeyIs(key, "explicitBounds", "explicit_bounds")) {
      return ForEachElement(fv, "explicitBounds", [&](simdjson::ondemand::value item) {
        double bound = 0;
        SLUICE_RETURN_IF_ERROR(ReadDouble(item, "explicitBounds", &bound));
        p->add_explicit_bounds(bound);
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

Status ReadSummaryPoint(simdjson::ondemand::value v, pb::SummaryDataPoint* p) {
  return ForEachField(v, "dataPoints", [&](std::string_view key, simdjson::ondemand::value fv) {
    bool done = false;
    SLUICE_RETURN_IF_ERROR(ReadCommonPointField(key, fv, p, &done));
    if (done) return Status::Ok();
    if (key == "count") {
      uint64_t n = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "count", &n));
      p->set_count(n);
    } else if (key == "sum") {
      double d = 0;
      SLUICE_RETURN_IF_ERROR(ReadDouble(fv, "sum", &d));
      p->set_sum(d);
    } else if (KeyIs(key, "quantileValues", "quantile_values")) {
      return ForEachElement(fv, "quantileValues", [&](simdjson::ondemand::value item) {
        pb::SummaryDataPoint::ValueAtQuantile* q = p->add_quantile_values();
        return ForEachField(item, "quantileValues",
                            [&](std::string_view k, simdjson::ondemand::value qv) {
                              double d = 0;
                              if (k == "quantile") {
                                SLUICE_RETURN_IF_ERROR(ReadDouble(qv, "quantile", &d));
                                q->set_quantile(d);
                              } else if (k == "value") {
                                SLUICE_RETURN_IF_ERROR(ReadDouble(qv, "value", &d));
                                q->set_value(d);
                              }
                              return Status::Ok();
                            });
      });
    }
    return Status::Ok();
  });
}

// Exponential histograms are rejected, so only what the rejection reports is read.
Status ReadExponentialPoint(simdjson::ondemand::value v, pb::ExponentialHistogramDataPoint* p) {
  return ForEachField(v, "dataPoints", [&](std::string_view key, simdjson::ondemand::value fv) {
    bool done = false;
    return ReadCommonPointField(key, fv, p, &done);
  });
}

// Reads {"dataPoints": [...], "aggregationTemporality": ..., "isMonotonic": ...} into `data`
// (a Gauge, Sum, Histogram, ExponentialHistogram or Summary).
template <typename Data, typename ReadPoint>
Status ReadData(simdjson::ondemand::value v, Data* data, ReadPoint read_point) {
  return ForEachField(v, "metrics", [&](std::string_view key, simdjson::ondemand::value fv) {
    if (KeyIs(key, "dataPoints", "data_points")) {
      return ForEachElement(fv, "dataPoints", [&](simdjson::ondemand::value item) {
        return read_point(item, data->add_data_points());
      });
    }
    if constexpr (requires { data->set_aggregation_temporality(pb::AggregationTemporality{}); }) {
      if (KeyIs(key, "aggregationTemporality", "aggregation_temporality")) {
        pb::AggregationTemporality t{};
        SLUICE_RETURN_IF_ERROR(ReadTemporality(fv, &t));
        data->set_aggregation_temporality(t);
      }
    }
    if constexpr (requires { data->set_is_monotonic(true); }) {
      if (KeyIs(key, "isMonotonic", "is_monotonic")) {
        bool b = false;
        SLUICE_RETURN_IF_ERROR(ReadBool(fv, "isMonotonic", &b));
        data->set_is_monotonic(b);
      }
    }
    return Status::Ok();
  });
}

Status ReadMetric(simdjson::ondemand::value v, pb::Metric* m) {
  return ForEachField(v, "metrics", [&](std::string_view key, simdjson::ondemand::value fv) {
    if (key == "name") return ReadString(fv, "metrics.name", m->mutable_name());
    if (key == "description")
      return ReadString(fv, "metrics.description", m->mutable_description());
    if (key == "unit") return ReadString(fv, "metrics.unit", m->mutable_unit());
    if (key == "gauge") return ReadData(fv, m->mutable_gauge(), ReadNumberPoint);
    if (key == "sum") return ReadData(fv, m->mutable_sum(), ReadNumberPoint);
    if (key == "histogram") return ReadData(fv, m->mutable_histogram(), ReadHistogramPoint);
    if (KeyIs(key, "exponentialHistogram", "exponential_histogram")) {
      return ReadData(fv, m->mutable_exponential_histogram(), ReadExponentialPoint);
    }
    if (key == "summary") return ReadData(fv, m->mutable_summary(), ReadSummaryPoint);
    return Status::Ok();
  });
}

Status ReadScopeMetrics(simdjson::ondemand::value v,
                        google::protobuf::RepeatedPtrField<pb::ScopeMetrics>* out) {
  return ForEachElement(v, "scopeMetrics", [&](simdjson::ondemand::value item) {
    pb::ScopeMetrics* scope = out->Add();
    return ForEachField(
        item, "scopeMetrics", [&](std::string_view key, simdjson::ondemand::value fv) {
          if (key != "metrics") return Status::Ok();
          return ForEachElement(fv, "metrics", [&](simdjson::ondemand::value metric) {
            return ReadMetric(metric, scope->add_metrics());
          });
        });
  });
}

Status ReadRequest(std::string_view body, const MetricDecodeContext& ctx,
                   pb::ExportMetricsServiceRequest* request) {
  return otlp_json::ForEachRequestField(
      ctx.json, body, [&](std::string_view key, simdjson::ondemand::value fv) {
        if (!KeyIs(key, "resourceMetrics", "resource_metrics")) return Status::Ok();
        return ForEachElement(fv, "resourceMetrics", [&](simdjson::ondemand::value item) {
          pb::ResourceMetrics* rm = request->add_resource_metrics();
          return ForEachField(
              item, "resourceMetrics", [&](std::string_view rk, simdjson::ondemand::value rv) {
                if (rk == "resource") return otlp_json::ReadResource(rv, rm->mutable_resource());
                if (KeyIs(rk, "scopeMetrics", "scope_metrics")) {
                  return ReadScopeMetrics(rv, rm->mutable_scope_metrics());
                }
                if (KeyIs(rk, "instrumentationLibraryMetrics", "instrumentation_library_metrics")) {
                  return ReadScopeMetrics(rv, rm->mutable_instrumentation_library_metrics());
                }
                return Status::Ok();
              });
        });
      });
}

// --- naming -------------------------------------------------------------------------------------

// UCUM units to Prometheus' base-unit words (otlptranslator's unitMap and perUnitMap).
std::string_view MainUnitWord(std::string_view unit) {
  static constexpr std::pair<std::string_view, std::string_view> kUnits[] = {{"d", "days"},
                                                                             {"h", "hours"},
                                                                             {"min", "minutes"},
                                                                             {"s", "seconds"},
                                                                             {"ms", "milliseconds"},
                                                                             {"us", "microseconds"},
                                                                             {"ns", "nanoseconds"},
                                                                             {"By", "bytes"},
                                                                             {"KiBy", "kibibytes"},
                                                                             {"MiBy", "mebibytes"},
                                                                             {"GiBy", "gibibytes"},
                                                                             {"TiBy", "tibibytes"},
                                                                             {"KBy", "kilobytes"},
                                                                             {"MBy", "megabytes"},
                                                                             {"GBy", "gigabytes"},
                                                                             {"TBy", "terabytes"},
                                                                             {"m", "meters"},
                                                                             {"V", "volts"},
                                                                             {"A", "amperes"},
                                                                             {"J", "joules"},
                                                                             {"W", "watts"},
                                                                             {"g", "grams"},
                                                                             {"Cel", "celsius"},
                                                                             {"Hz", "hertz"},
                                                                             {"1", ""},
                                                                             {"%", "percent"}};
  for (const auto& [ucum, word] : kUnits) {
    if (ucum == unit) return word;
  }
  return unit;
}

std::string_view PerUnitWord(std::string_view unit) {
  static constexpr std::pair<std::string_view, std::string_view> kUnits[] = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
      {"w", "week"},   {"mo", "month"}, {"y", "year"}};
  for (const auto& [ucum, word] : kUnits) {
    if (ucum == unit) return word;
  }
  return unit;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':';
}

std::string_view TrimSpace(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Every character outside [a-zA-Z0-9:] becomes '_', runs of '_' become one, a leading '_' goes.
std::string CleanUpUnit(std::string_view unit) {
  std::string out;
  for (char c : unit) {
    char d = IsNameChar(c) ? c : '_';
    if (d == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(d);
  }
  if (!out.empty() && out[0] == '_') out.erase(0, 1);
  return out;
}

// The main and the "per" suffix of a unit: "By/s" -> {"bytes", "per_second"}; parts holding
// "{...}" annotations add nothing.
std::pair<std::string, std::string> UnitSuffixes(std::string_view unit) {
  std::string_view main_part = unit;
  std::string_view per_part;
  bool has_per = false;
  if (size_t slash = unit.find('/'); slash != std::string_view::npos) {
    main_part = unit.substr(0, slash);
    per_part = unit.substr(slash + 1);
    has_per = true;
  }
  auto annotated = [](std::string_view s) {
    return s.find_first_of("{}") != std::string_view::npos;
  };
  std::string main_suffix;
  main_part = TrimSpace(main_part);
  if (!main_part.empty() && !annotated(main_part))
    main_suffix = std::string(MainUnitWord(main_part));
  std::string per_suffix;
  per_part = TrimSpace(per_part);
  if (has_per && !per_part.empty() && !annotated(per_part)) {
    std::string_view word = PerUnitWord(per_part);
    if (!word.empty()) per_suffix = "per_" + std::string(word);
  }
  return {CleanUpUnit(main_suffix), CleanUpUnit(per_suffix)};
}

void RemoveSuffixChar(std::string& s, char c) {
  if (!s.empty() && s.back() == c) s.pop_back();
}

// --- values as label text -----------------------------------------------------------------------

// strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that read back as `v`, never with an
// exponent; Prometheus writes le and quantile labels so.
std::string FormatLabelFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];  // the longest fixed form of a double (denormals) is under 400 characters
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, end);
}

// --- protobuf -> MetricBatch
// ----------------------------------------------------------------------

constexpr uint32_t kNoRecordedValue = pb::DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK;

using Attributes = google::protobuf::RepeatedPtrField<pb::KeyValue>;

class MetricsTranslator {
 public:
  MetricsTranslator(const MetricDecodeContext& ctx, storage::MetricBatch* batch,
                    MetricDecodeResult* result)
      : ctx_(ctx), batch_(batch), result_(result) {}

  void Translate(const pb::ExportMetricsServiceRequest& request) {
    for (const pb::ResourceMetrics& rm : request.resource_metrics()) TranslateResource(rm);
  }

 private:
  void TranslateResource(const pb::ResourceMetrics& rm) {
    const Attributes& attributes = rm.resource().attributes();
    job_.reset();
    instance_.reset();
    const pb::AnyValue* service_name = Find(attributes, "service.name");
    if (service_name != nullptr) {
      job_ = AsString(*service_name);
      if (const pb::AnyValue* ns = Find(attributes, "service.namespace")) {
        job_ = AsString(*ns) + "/" + *job_;
      }
    }
    if (const pb::AnyValue* id = Find(attributes, "service.instance.id")) instance_ = AsString(*id);
    timestamps_.clear();
    const auto& scopes =
        rm.scope_metrics_size() > 0 ? rm.scope_metrics() : rm.instrumentation_library_metrics();
    for (const pb::ScopeMetrics& sm : scopes) {
      for (const pb::Metric& metric : sm.metrics()) TranslateMetric(metric);
    }
    AddTargetInfo(attributes);
  }

  static const pb::AnyValue* Find(const Attributes& attributes, std::string_view key) {
    for (const pb::KeyValue& kv : attributes) {
      if (kv.key() == key) return &kv.value();
    }
    return nullptr;
  }

  void TranslateMetric(const pb::Metric& m) {
    switch (m.data_case()) {
      case pb::Metric::kGauge:
        BeginMetric(m, OtlpMetricKind::kGauge, storage::MetricType::kGauge);
        for (const pb::NumberDataPoint& p : m.gauge().data_points()) NumberPoint(p);
        break;
      case pb::Metric::kSum: {
        const pb::Sum& sum = m.sum();
        if (!CumulativeOrReject(m, sum.aggregation_temporality(), "sum", sum.data_points_size())) {
          break;
        }
        if (sum.is_monotonic()) {
          BeginMetric(m, OtlpMetricKind::kMonotonicSum, storage::MetricType::kCounter);
        } else {
          BeginMetric(m, OtlpMetricKind::kNonMonotonicSum, storage::MetricType::kGauge);
        }
        for (const pb::NumberDataPoint& p : sum.data_points()) NumberPoint(p);
        break;
      }
      case pb::Metric::kHistogram: {
        const pb::Histogram& h = m.histogram();
        if (!CumulativeOrReject(m, h.aggregation_temporality(), "histogram",
                                h.data_points_size())) {
          break;
        }
        BeginMetric(m, OtlpMetricKind::kHistogram, storage::MetricType::kHistogram);
        for (const pb::HistogramDataPoint& p : h.data_points()) HistogramPoint(p);
        break;
      }
      case pb::Metric::kSummary:
        BeginMetric(m, OtlpMetricKind::kSummary, storage::MetricType::kSummary);
        for (const pb::SummaryDataPoint& p : m.summary().data_points()) SummaryPoint(p);
        break;
      case pb::Metric::kExponentialHistogram:
        if (int n = m.exponential_histogram().data_points_size(); n > 0) {
          result_->Reject(fmt::format("metric '{}': exponential histograms are not supported "
                                      "(they map to native histograms, which are not stored)",
                                      m.name()),
                          n);
        }
        return;
      case pb::Metric::DATA_NOT_SET:
        return;
    }
    if (stored_points_ > 0) {
      AddMetadataOnce(
          storage::MetricMetadata{name_, type_, m.description(), PrometheusUnit(m.unit())});
    }
  }

  bool CumulativeOrReject(const pb::Metric& m, pb::AggregationTemporality t, std::string_view what,
                          int points) {
    if (t == pb::AGGREGATION_TEMPORALITY_CUMULATIVE) return true;
    if (points > 0) {
      std::string_view temporality =
          t == pb::AGGREGATION_TEMPORALITY_DELTA ? "delta" : "unspecified";
      result_->Reject(fmt::format("invalid temporality and type combination for metric '{}': {} "
                                  "{} (Prometheus stores cumulative {}s only)",
                                  m.name(), temporality, what, what),
                      points);
    }
    return false;
  }

  void BeginMetric(const pb::Metric& m, OtlpMetricKind kind, storage::MetricType type) {
    otlp_name_ = m.name();
    name_ = PrometheusMetricName(m.name(), m.unit(), kind);
    type_ = type;
    stored_points_ = 0;
    if (kind == OtlpMetricKind::kHistogram) name_bucket_ = name_ + "_bucket";
    if (kind == OtlpMetricKind::kHistogram || kind == OtlpMetricKind::kSummary) {
      name_sum_ = name_ + "_sum";
      name_count_ = name_ + "_count";
    }
  }

  int64_t TimestampMs(uint64_t unix_nano) const {
    if (unix_nano == 0) return ctx_.now_ms;
    return static_cast<int64_t>(unix_nano / 1'000'000);
  }

  void NumberPoint(const pb::NumberDataPoint& p) {
    BeginPoint(p.attributes(), p.time_unix_nano());
    double value = p.value_case() == pb::NumberDataPoint::kAsInt ? static_cast<double>(p.as_int())
                                                                 : p.as_double();
    if ((p.flags() & kNoRecordedValue) != 0) value = storage::StaleNaN();
    Pend(name_, {}, {}, value);
    CommitPoint();
  }

  void HistogramPoint(const pb::HistogramDataPoint& p) {
    BeginPoint(p.attributes(), p.time_unix_nano());
    bool stale = (p.flags() & kNoRecordedValue) != 0;
    auto value = [&](double v) { return stale ? storage::StaleNaN() : v; };
    if (p.has_sum()) Pend(name_sum_, {}, {}, value(p.sum()));
    Pend(name_count_, {}, {}, value(static_cast<double>(p.count())));
    int buckets = std::min(p.explicit_bounds_size(), p.bucket_counts_size());
    // Sized before any view is taken: the label values must not move until the commit.
    extra_values_.resize(static_cast<size_t>(buckets));
    uint64_t cumulative = 0;
    for (int i = 0; i < buckets; ++i) {
      cumulative += p.bucket_counts(i);
      extra_values_[static_cast<size_t>(i)] = FormatLabelFloat(p.explicit_bounds(i));
      Pend(name_bucket_, "le", extra_values_[static_cast<size_t>(i)],
           value(static_cast<double>(cumulative)));
    }
    Pend(name_bucket_, "le", "+Inf", value(static_cast<double>(p.count())));
    CommitPoint();
  }

  void SummaryPoint(const pb::SummaryDataPoint& p) {
    BeginPoint(p.attributes(), p.time_unix_nano());
    bool stale = (p.flags() & kNoRecordedValue) != 0;
    auto value = [&](double v) { return stale ? storage::StaleNaN() : v; };
    Pend(name_sum_, {}, {}, value(p.sum()));
    Pend(name_count_, {}, {}, value(static_cast<double>(p.count())));
    extra_values_.resize(static_cast<size_t>(p.quantile_values_size()));
    for (int i = 0; i < p.quantile_values_size(); ++i) {
      const auto& q = p.quantile_values(i);
      extra_values_[static_cast<size_t>(i)] = FormatLabelFloat(q.quantile());
      Pend(name_, "quantile", extra_values_[static_cast<size_t>(i)], value(q.value()));
    }
    CommitPoint();
  }

  // Labels from attributes, as createAttributes does: sorted by key, names normalized, values
  // of keys that normalize alike joined with ';'; then job and instance, which win.
  void BuildBaseLabels(const Attributes& attributes, bool skip_identifying) {
    sorted_.clear();
    for (const pb::KeyValue& kv : attributes) {
      if (skip_identifying && (kv.key() == "service.name" || kv.key() == "service.namespace" ||
                               kv.key() == "service.instance.id")) {
        continue;
      }
      sorted_.push_back(&kv);
    }
    std::stable_sort(
        sorted_.begin(), sorted_.end(),
        [](const pb::KeyValue* a, const pb::KeyValue* b) { return a->key() < b->key(); });
    base_.clear();
    for (const pb::KeyValue* kv : sorted_) {
      std::string name = NormalizeOtlpName(kv->key());
      std::string value = AsString(kv->value());
      auto same = std::find_if(base_.begin(), base_.end(),
                               [&](const storage::Label& l) { return l.name == name; });
      if (same != base_.end()) {
        same->value += ";" + value;
      } else {
        base_.push_back(storage::Label{std::move(name), std::move(value)});
      }
    }
    SetBase("job", job_);
    SetBase("instance", instance_);
  }

  void SetBase(std::string_view name, const std::optional<std::string>& value) {
    if (!value.has_value()) return;
    for (storage::Label& l : base_) {
      if (l.name == name) {
        l.value = *value;
        return;
      }
    }
    base_.push_back(storage::Label{std::string(name), *value});
  }

  void BeginPoint(const Attributes& attributes, uint64_t time_unix_nano) {
    BuildBaseLabels(attributes, false);
    timestamp_ms_ = TimestampMs(time_unix_nano);
    pending_.clear();
    pending_labels_.clear();
    point_error_ = Status::Ok();
  }

  // Queues one series of the current data point, validated; the point is stored by CommitPoint
  // only when all of its series are valid.
  void Pend(std::string_view metric_name, std::string_view extra_name, std::string_view extra_value,
            double value) {
    if (!point_error_.ok()) return;
    scratch_.clear();
    for (const storage::Label& l : base_) scratch_.push_back(LabelView{l.name, l.value});
    Override(LabelView{"__name__", metric_name});
    if (!extra_name.empty()) Override(LabelView{extra_name, extra_value});
    point_error_ = ValidateSeriesLabels(scratch_, *ctx_.limits);
    if (!point_error_.ok()) return;
    pending_.push_back(PendingSeries{static_cast<uint32_t>(pending_labels_.size()),
                                     static_cast<uint32_t>(scratch_.size()), timestamp_ms_, value});
    pending_labels_.insert(pending_labels_.end(), scratch_.begin(), scratch_.end());
  }

  void Override(LabelView label) {
    for (LabelView& l : scratch_) {
      if (l.name == label.name) {
        l.value = label.value;
        return;
      }
    }
    scratch_.push_back(label);
  }

  void CommitPoint() {
    if (!point_error_.ok()) {
      result_->Reject(fmt::format("metric '{}': {}", otlp_name_, point_error_.message()), 1);
      return;
    }
    for (const PendingSeries& s : pending_) {
      uint32_t series = batch_->AddSeries(
          std::span<const LabelView>(pending_labels_).subspan(s.first_label, s.label_count));
      batch_->AddSample(series, s.timestamp_ms, s.value);
    }
    ++stored_points_;
    timestamps_.push_back(timestamp_ms_);
  }

  void AddMetadataOnce(storage::MetricMetadata metadata) {
    if (!metadata_families_.insert(metadata.family).second) return;
    batch_->AddMetadata(std::move(metadata));
  }

  // target_info: the resource's attributes other than those job and instance come from.
  void AddTargetInfo(const Attributes& attributes) {
    if (timestamps_.empty() || (!job_.has_value() && !instance_.has_value())) return;
    BuildBaseLabels(attributes, true);
    if (sorted_.empty()) return;  // only job and instance: nothing to tell

    std::sort(timestamps_.begin(), timestamps_.end());
    timestamps_.erase(std::unique(timestamps_.begin(), timestamps_.end()), timestamps_.end());
    otlp_name_ = "target_info";
    pending_.clear();
    pending_labels_.clear();
    point_error_ = Status::Ok();
    for (int64_t ts : timestamps_) {
      timestamp_ms_ = ts;
      Pend("target_info", {}, {}, 1);
    }
    if (!point_error_.ok()) {
      result_->Reject(fmt::format("target_info: {}", point_error_.message()), 0);
      return;
    }
    for (const PendingSeries& s : pending_) {
      uint32_t series = batch_->AddSeries(
          std::span<const LabelView>(pending_labels_).subspan(s.first_label, s.label_count));
      batch_->AddSample(series, s.timestamp_ms, s.value);
    }
    AddMetadataOnce(
        storage::MetricMetadata{"target_info", storage::MetricType::kGauge, "Target metadata", ""});
  }

  struct PendingSeries {
    uint32_t first_label;  // into pending_labels_
    uint32_t label_count;
    int64_t timestamp_ms;
    double value;
  };

  const MetricDecodeContext& ctx_;
  storage::MetricBatch* batch_;
  MetricDecodeResult* result_;

  // The current resource.
  std::optional<std::string> job_;
  std::optional<std::string> instance_;
  std::vector<int64_t> timestamps_;  // of its stored points, for target_info
  // The current metric.
  std::string otlp_name_;
  std::string name_, name_bucket_, name_sum_, name_count_;
  storage::MetricType type_ = storage::MetricType::kUnknown;
  int64_t stored_points_ = 0;
  // The current data point.
  std::vector<const pb::KeyValue*> sorted_;
  storage::Labels base_;
  int64_t timestamp_ms_ = 0;
  std::vector<std::string> extra_values_;  // le / quantile label values
  std::vector<LabelView> scratch_;
  std::vector<LabelView> pending_labels_;
  std::vector<PendingSeries> pending_;
  Status point_error_;

  std::unordered_set<std::string> metadata_families_;
};

bool Contains(const std::vector<std::string_view>& tokens, std::string_view word) {
  return std::find(tokens.begin(), tokens.end(), word) != tokens.end();
}

}  // namespace

std::string PrometheusUnit(std::string_view unit) {
  auto [main_suffix, per_suffix] = UnitSuffixes(unit);
  if (per_suffix == "per_") per_suffix.clear();
  RemoveSuffixChar(per_suffix, '_');
  if (!per_suffix.empty()) RemoveSuffixChar(main_suffix, '_');
  if (main_suffix.empty()) return per_suffix;
  if (per_suffix.empty()) return main_suffix;
  return main_suffix + "_" + per_suffix;
}

std::string PrometheusMetricName(std::string_view name, std::string_view unit,
                                 OtlpMetricKind kind) {
  std::vector<std::string_view> tokens;
  size_t start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || !IsNameChar(name[i])) {
      if (i > start) tokens.push_back(name.substr(start, i - start));
      start = i + 1;
    }
  }
  // addUnitTokens: a unit already spelled out in the name is not repeated.
  auto [main_suffix, per_suffix] = UnitSuffixes(unit);
  if (Contains(tokens, main_suffix)) main_suffix.clear();
  if (per_suffix == "per_") {
    per_suffix.clear();
  } else {
    RemoveSuffixChar(per_suffix, '_');
    if (Contains(tokens, per_suffix)) per_suffix.clear();
  }
  if (!per_suffix.empty()) RemoveSuffixChar(main_suffix, '_');
  if (!main_suffix.empty()) tokens.push_back(main_suffix);
  if (!per_suffix.empty()) tokens.push_back(per_suffix);
  auto move_to_end = [&](std::string_view word) {
    std::erase(tokens, word);
    tokens.push_back(word);
  };
  if (kind == OtlpMetricKind::kMonotonicSum) move_to_end("total");
  if (unit == "1" && kind == OtlpMetricKind::kGauge) move_to_end("ratio");
  std::string out;
  for (std::string_view t : tokens) {
    if (!out.empty()) out.push_back('_');
    out.append(t);
  }
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(0, "_");
  return out;
}

Status DecodeOtlpMetricsJson(std::string_view body, const MetricDecodeContext& ctx,
                             storage::MetricBatch* batch, MetricDecodeResult* result) {
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<pb::ExportMetricsServiceRequest>(&arena);
  SLUICE_RETURN_IF_ERROR(ReadRequest(body, ctx, request));
  MetricsTranslator(ctx, batch, result).Translate(*request);
  return Status::Ok();
}

Status DecodeOtlpMetricsProto(std::string_view body, const MetricDecodeContext& ctx,
                              storage::MetricBatch* batch, MetricDecodeResult* result) {
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<pb::ExportMetricsServiceRequest>(&arena);
  if (body.size() > static_cast<size_t>(INT32_MAX) ||
      !request->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument(
        "malformed OTLP protobuf body (expected an ExportMetricsServiceRequest)");
  }
  MetricsTranslator(ctx, batch, result).Translate(*request);
  return Status::Ok();
}

std::string OtlpMetricsResponseJson(const MetricDecodeResult& result) {
  return otlp_json::PartialSuccessJson("rejectedDataPoints", result.rejected_samples,
                                       result.first_error);
}

std::string OtlpMetricsResponseProto(const MetricDecodeResult& result) {
  pb::ExportMetricsServiceResponse response;
  if (result.rejected_samples != 0 || !result.first_error.empty()) {
    response.mutable_partial_success()->set_rejected_data_points(result.rejected_samples);
    response.mutable_partial_success()->set_error_message(result.first_error);
  }
  return response.SerializeAsString();
}

}  // namespace sluice::pipeline
