#include "pipeline/decoders/vm_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "base/json_writer.h"
#include "pipeline/decoders/decode_context.h"

namespace sluice::pipeline {
namespace {

using simdjson::ondemand::json_type;

std::string JsonProblem(simdjson::error_code e) {
  return fmt::format("invalid JSON: {}", simdjson::error_message(e));
}

// VM's getSpecialFloat64FromString: the strings its parser takes where a number should be.
bool ParseSpecialValue(std::string_view s, double* out) {
  bool minus = !s.empty() && s[0] == '-';
  if (minus) s.remove_prefix(1);
  if (s == "infinity" || s == "Infinity" || s == "Inf" || s == "inf") {
    *out =
        minus ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "null" || s == "Null" || s == "nan" || s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return false;
}

class VmLineDecoder {
 public:
  VmLineDecoder(const MetricDecodeContext& ctx, storage::MetricBatch* batch)
      : ctx_(ctx), limits_(ctx.limits != nullptr ? *ctx.limits : kDefaultLimits), batch_(batch) {}

  // Adds the line's series and samples, or returns why the line is bad (nothing added then).
  Status Decode(std::string_view line);

  // How many samples the last line held as far as it was read (for the rejection count).
  int64_t samples_seen() const {
    return static_cast<int64_t>(std::max(values_.size(), timestamps_.size()));
  }

 private:
  Status ReadMetric(simdjson::ondemand::value value);
  Status ReadValues(simdjson::ondemand::value value);
  Status ReadTimestamps(simdjson::ondemand::value value);

  static inline const MetricLimits kDefaultLimits{};

  const MetricDecodeContext& ctx_;
  const MetricLimits& limits_;
  storage::MetricBatch* batch_;
  // Reused from line to line; label views point into the parser's string buffer or the line.
  std::vector<storage::LabelView> labels_;
  std::vector<double> values_;
  std::vector<int64_t> timestamps_;
};

Status VmLineDecoder::ReadMetric(simdjson::ondemand::value value) {
  simdjson::ondemand::object metric;
  if (value.get_object().get(metric)) return Status::InvalidArgument("\"metric\" is not an object");
  for (auto field : metric) {
    std::string_view name;
    if (auto e = field.unescaped_key().get(name)) return Status::InvalidArgument(JsonProblem(e));
    std::string_view label_value;
    if (auto e = field.value().get_string().get(label_value)) {
      if (e == simdjson::INCORRECT_TYPE) {
        return Status::InvalidArgument(
            fmt::format("the value of label '{}' in \"metric\" is not a string", name));
      }
      return Status::InvalidArgument(JsonProblem(e));
    }
    labels_.push_back(storage::LabelView{name, label_value});
  }
  return Status::Ok();
}

Status VmLineDecoder::ReadValues(simdjson::ondemand::value value) {
  simdjson::ondemand::array array;
  if (value.get_array().get(array)) return Status::InvalidArgument("\"values\" is not an array");
  for (auto element : array) {
    simdjson::ondemand::value v;
    if (auto e = element.get(v)) return Status::InvalidArgument(JsonProblem(e));
    double d;
    auto e = v.get_double().get(d);
    if (e == simdjson::SUCCESS) {
      values_.push_back(d);
      continue;
    }
    // Not a plain number: null (a stale marker), or one of VM's special strings.
    bool is_null = false;
    if (e == simdjson::INCORRECT_TYPE && v.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
      values_.push_back(storage::StaleNaN());
      continue;
    }
    std::string_view s;
    if (e == simdjson::INCORRECT_TYPE && v.get_string().get(s) == simdjson::SUCCESS) {
      if (!ParseSpecialValue(s, &d)) {
        return Status::InvalidArgument(
            fmt::format("\"values\"[{}] is the string \"{}\", not a number", values_.size(), s));
      }
      values_.push_back(d);
      continue;
    }
    if (e == simdjson::INCORRECT_TYPE) {
      return Status::InvalidArgument(
          fmt::format("\"values\"[{}] is not a number, null or string", values_.size()));
    }
    return Status::InvalidArgument(
        fmt::format("\"values\"[{}]: {}", values_.size(), JsonProblem(e)));
  }
  return Status::Ok();
}

Status VmLineDecoder::ReadTimestamps(simdjson::ondemand::value value) {
  simdjson::ondemand::array array;
  if (value.get_array().get(array)) {
    return Status::InvalidArgument("\"timestamps\" is not an array");
  }
  for (auto element : array) {
    simdjson::ondemand::value v;
    if (auto e = element.get(v)) return Status::InvalidArgument(JsonProblem(e));
    int64_t ts;
    if (v.get_int64().get(ts) != simdjson::SUCCESS) {
      // Integers only, as VM (fastjson's Int64) takes them: no fractions, exponents or strings.
      std::string_view raw = TrimJsonToken(v.raw_json_token());
      return Status::InvalidArgument(
          fmt::format("\"timestamps\"[{}] is not an integer number of milliseconds: {}",
                      timestamps_.size(), raw.substr(0, 64)));
    }
    timestamps_.push_back(ts);
  }
  return Status::Ok();
}

Status VmLineDecoder::Decode(std::string_view line) {
  labels_.clear();
  values_.clear();
  timestamps_.clear();
  simdjson::ondemand::document doc;
  if (auto e = ctx_.json->iterate(PaddedView(line)).get(doc)) {
    return Status::InvalidArgument(JsonProblem(e));
  }
  simdjson::ondemand::object object;
  if (auto e = doc.get_object().get(object)) {
    if (e == simdjson::INCORRECT_TYPE) return Status::InvalidArgument("not a JSON object");
    return Status::InvalidArgument(JsonProblem(e));
  }
  bool has_metric = false, has_values = false, has_timestamps = false;
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Status::InvalidArgument(JsonProblem(e));
    simdjson::ondemand::value value;
    if (auto e = field.value().get(value)) return Status::InvalidArgument(JsonProblem(e));
    bool* seen = key == "metric"       ? &has_metric
                 : key == "values"     ? &has_values
                 : key == "timestamps" ? &has_timestamps
                                       : nullptr;
    if (seen == nullptr) continue;  // VM ignores other keys; On-Demand skips their values
    if (*seen) return Status::InvalidArgument(fmt::format("\"{}\" appears twice", key));
    *seen = true;
    if (seen == &has_metric) {
      SLUICE_RETURN_IF_ERROR(ReadMetric(value));
    } else if (seen == &has_values) {
      SLUICE_RETURN_IF_ERROR(ReadValues(value));
    } else {
      SLUICE_RETURN_IF_ERROR(ReadTimestamps(value));
    }
  }
  if (!AtEnd(doc)) return Status::InvalidArgument("unexpected data after the JSON object");
  if (!has_metric) return Status::InvalidArgument("missing \"metric\" object");
  if (!has_values || values_.empty()) {
    return Status::InvalidArgument("missing or empty \"values\" array");
  }
  if (!has_timestamps || timestamps_.empty()) {
    return Status::InvalidArgument("missing or empty \"timestamps\" array");
  }
  if (values_.size() != timestamps_.size()) {
    return Status::InvalidArgument(
        fmt::format("\"values\" has {} items but \"timestamps\" has {}; they must match",
                    values_.size(), timestamps_.size()));
  }
  SLUICE_RETURN_IF_ERROR(ValidateSeriesLabels(labels_, limits_));
  uint32_t series = batch_->AddSeries(labels_);
  for (size_t i = 0; i < values_.size(); ++i) {
    batch_->AddSample(series, timestamps_[i], values_[i]);
  }
  return Status::Ok();
}

void AppendValue(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append(storage::IsStaleNaN(v) ? "null" : "\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    // Fixed notation with the shortest digits that round-trip, as Go's
    // strconv.AppendFloat(v, 'f', -1, 64) in VM's export; the longest (denormals) is ~330 chars.
    char buf[400];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    out->append(buf, end);
  }
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

}  // namespace

Status DecodeVmImport(std::string_view body, const MetricDecodeContext& ctx,
                      storage::MetricBatch* batch, MetricDecodeResult* result) {
  VmLineDecoder decoder(ctx, batch);
  size_t number = 0;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    ++number;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    line.remove_prefix(first);
    Status s = decoder.Decode(line);
    if (!s.ok())
      result->Reject(fmt::format("line {}: {}", number, s.message()), decoder.samples_seen());
  }
  return Status::Ok();
}

void AppendVmExportLine(const storage::Labels& labels, std::span<const storage::Sample> samples,
                        std::string* out) {
  if (samples.empty()) return;
  out->append("{\"metric\":{");
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->push_back('"');
    JsonWriter::AppendEscaped(out, labels[i].name);
    out->append("\":\"");
    JsonWriter::AppendEscaped(out, labels[i].value);
    out->push_back('"');
  }
  out->append("},\"values\":[");
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendValue(samples[i].value, out);
  }
  out->append("],\"timestamps\":[");
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendInt(samples[i].timestamp_ms, out);
  }
  out->append("]}\n");
}

}  // namespace sluice::pipeline
