#include "pipeline/decoders/influx_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <vector>

#include "pipeline/stream_validation.h"

namespace sluice::pipeline {
namespace {

using storage::LabelView;

enum class Precision {
  kGuess,
  kNanoseconds,
  kMicroseconds,
  kMilliseconds,
  kSeconds,
  kMinutes,
  kHours
};

bool ParsePrecision(std::string_view s, Precision* out) {
  if (s.empty()) {
    *out = Precision::kGuess;
  } else if (s == "ns" || s == "n") {
    *out = Precision::kNanoseconds;
  } else if (s == "us" || s == "u" || s == "\u00b5") {
    *out = Precision::kMicroseconds;
  } else if (s == "ms") {
    *out = Precision::kMilliseconds;
  } else if (s == "s") {
    *out = Precision::kSeconds;
  } else if (s == "m") {
    *out = Precision::kMinutes;
  } else if (s == "h") {
    *out = Precision::kHours;
  } else {
    return false;
  }
  return true;
}

// Milliseconds from a line's timestamp (0: the line had none). False when it does not fit.
bool ToMilliseconds(int64_t ts, Precision precision, int64_t now_ms, int64_t* out) {
  int64_t unit = 1;
  switch (precision) {
    case Precision::kGuess:
      // VM's detectTimestamp: clients that send no precision mostly mean ns, but not all do.
      if (ts == 0) {
        *out = now_ms;
      } else if (ts >= 100'000'000'000'000'000) {
        *out = ts / 1'000'000;
      } else if (ts >= 100'000'000'000'000) {
        *out = ts / 1'000;
      } else if (ts >= 100'000'000'000) {
        *out = ts;
      } else {
        // Below 1e11, or negative: only a very negative value can overflow the product.
        if (ts < INT64_MIN / 1'000) return false;
        *out = ts * 1'000;
      }
      return true;
    case Precision::kNanoseconds:
      *out = ts == 0 ? now_ms : ts / 1'000'000;
      return true;
    case Precision::kMicroseconds:
      *out = ts == 0 ? now_ms : ts / 1'000;
      return true;
    case Precision::kMilliseconds:
      *out = ts == 0 ? now_ms : ts;
      return true;
    case Precision::kSeconds:
      unit = 1'000;
      break;
    case Precision::kMinutes:
      unit = 60'000;
      break;
    case Precision::kHours:
      unit = 3'600'000;
      break;
  }
  if (ts == 0) {
    *out = now_ms - now_ms % unit;
    return true;
  }
  return !__builtin_mul_overflow(ts, unit, out);
}

template <typename T>
bool ParseWhole(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// A field value that is not a string: float, 123i, 123u or a boolean. False when it is none.
bool ParseFieldValue(std::string_view s, double* out) {
  if (s.empty()) return false;
  switch (s.back()) {
    case 'i': {
      int64_t v;
      if (!ParseWhole(s.substr(0, s.size() - 1), &v)) return false;
      *out = static_cast<double>(v);
      return true;
    }
    case 'u': {
      uint64_t v;
      if (!ParseWhole(s.substr(0, s.size() - 1), &v)) return false;
      *out = static_cast<double>(v);
      return true;
    }
    default:
      break;
  }
  if (s == "t" || s == "T" || s == "true" || s == "True" || s == "TRUE") {
    *out = 1;
    return true;
  }
  if (s == "f" || s == "F" || s == "false" || s == "False" || s == "FALSE") {
    *out = 0;
    return true;
  }
  // A number must start with a digit or '.' after its sign: that keeps out from_chars' "inf" and
  // "nan", which Influx does not accept either.
  std::string_view digits = s;
  size_t first = 0;
  if (digits[0] == '+') {
    digits.remove_prefix(1);  // from_chars takes '-' only
  } else if (digits[0] == '-') {
    first = 1;
  }
  if (first >= digits.size() ||
      !((digits[first] >= '0' && digits[first] <= '9') || digits[first] == '.')) {
    return false;
  }
  return ParseWhole(digits, out);
}

// IsValidMetricName with a table: it runs for every field, and almost every name passes.
constexpr auto kMetricNameChar = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':';
  }
  return t;
}();

bool IsPlainMetricName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!kMetricNameChar[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// One line's pieces. Views point into the line or into `scratch` (unescaped text), which is
// reserved before parsing so that appending never moves it.
struct Field {
  std::string_view key;
  double value;
};

class InfluxLineDecoder {
 public:
  InfluxLineDecoder(const InfluxOptions& options, Precision precision,
                    const MetricDecodeContext& ctx, storage::MetricBatch* batch,
                    MetricDecodeResult* result)
      : options_(options),
        precision_(precision),
        ctx_(ctx),
        limits_(ctx.limits != nullptr ? *ctx.limits : kDefaultLimits),
        batch_(batch),
        result_(result) {}

  void Decode(std::string_view line, size_t number);

 private:
  // Parses `line` into measurement_, tags_, fields_ and timestamp_.
  Status Parse(std::string_view line);
  void AddSamples(size_t number);
  // `raw` without its escapes; a view of `raw` itself when it has none.
  std::string_view Unescape(std::string_view raw, bool escaped);
  std::string_view LabelName(std::string_view name);
  void BuildName(std::string_view field);
  void Reject(size_t number, std::string_view problem, size_t samples) {
    result_->Reject(fmt::format("line {}: {}", number, problem),
                    static_cast<int64_t>(std::max<size_t>(samples, 1)));
  }

  static inline const MetricLimits kDefaultLimits{};

  const InfluxOptions& options_;
  Precision precision_;
  const MetricDecodeContext& ctx_;
  const MetricLimits& limits_;
  storage::MetricBatch* batch_;
  MetricDecodeResult* result_;

  // Per line; reused so that the steady state allocates nothing.
  std::string scratch_;
  std::string_view measurement_;
  std::vector<LabelView> tags_;
  std::vector<Field> fields_;
  size_t string_fields_ = 0;
  int64_t timestamp_ = 0;
  std::vector<LabelView> labels_;
  std::string name_;
};

std::string_view InfluxLineDecoder::Unescape(std::string_view raw, bool escaped) {
  if (!escaped) return raw;
  size_t start = scratch_.size();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char next = raw[i + 1];
      if (next == ' ' || next == ',' || next == '=' || next == '\\') {
        scratch_.push_back(next);
        ++i;
        continue;
      }
    }
    scratch_.push_back(c);
  }
  return std::string_view(scratch_).substr(start);
}

std::string_view InfluxLineDecoder::LabelName(std::string_view name) {
  if (storage::IsValidLabelName(name)) return name;
  size_t start = scratch_.size();
  scratch_.append(SanitizeLabelName(name));  // rare: only names that need it pay an allocation
  return std::string_view(scratch_).substr(start);
}

Status InfluxLineDecoder::Parse(std::string_view line) {
  tags_.clear();
  fields_.clear();
  string_fields_ = 0;
  timestamp_ = 0;
  scratch_.clear();
  // Unescaping only shrinks text and sanitizing adds at most one byte per name: with this much
  // room the views into scratch_ stay valid for the whole line.
  scratch_.reserve(2 * line.size() + 16);

  const size_t n = line.size();
  size_t i = 0;
  // Scans to the first of `stops` not escaped by a backslash; notes whether there were escapes.
  auto scan = [&](auto is_stop, bool* escaped) {
    while (i < n) {
      char c = line[i];
      if (c == '\\') {
        *escaped = true;
        i += 2;
        continue;
      }
      if (is_stop(c)) break;
      ++i;
    }
    if (i > n) i = n;  // a backslash ended the line
  };

  bool escaped = false;
  size_t start = i;
  scan([](char c) { return c == ',' || c == ' '; }, &escaped);
  measurement_ = Unescape(line.substr(start, i - start), escaped);

  while (i < n && line[i] == ',') {
    start = ++i;
    escaped = false;
    scan([](char c) { return c == ',' || c == ' ' || c == '='; }, &escaped);
    if (i >= n || line[i] != '=') {
      return Status::InvalidArgument(
          fmt::format("tag '{}' has no '=value'", line.substr(start, i - start)));
    }
    std::string_view key = Unescape(line.substr(start, i - start), escaped);
    start = ++i;
    escaped = false;
    // A tag value may hold '=' (it ends at the next comma or space).
    scan([](char c) { return c == ',' || c == ' '; }, &escaped);
    std::string_view value = Unescape(line.substr(start, i - start), escaped);
    if (key.empty() || value.empty()) continue;  // VM drops these
    tags_.push_back(LabelView{LabelName(key), value});
  }

  while (i < n && line[i] == ' ') ++i;
  if (i >= n) return Status::InvalidArgument("no fields");

  for (;;) {
    start = i;
    escaped = false;
    scan([](char c) { return c == '=' || c == ',' || c == ' '; }, &escaped);
    if (i >= n || line[i] != '=') {
      return Status::InvalidArgument(
          fmt::format("field '{}' has no '=value'", line.substr(start, i - start)));
    }
    std::string_view key = Unescape(line.substr(start, i - start), escaped);
    if (key.empty()) return Status::InvalidArgument("a field has an empty name");
    ++i;
    if (i < n && line[i] == '"') {
      // A string: skipped, but read through to find where it ends.
      for (++i; i < n && line[i] != '"'; ++i) {
        if (line[i] == '\\') ++i;
      }
      if (i >= n) {
        return Status::InvalidArgument(
            fmt::format("the string value of field '{}' has no closing quote", key));
      }
      ++i;
      ++string_fields_;
    } else {
      start = i;
      while (i < n && line[i] != ',' && line[i] != ' ') ++i;
      std::string_view raw = line.substr(start, i - start);
      double value;
      if (!ParseFieldValue(raw, &value)) {
        return Status::InvalidArgument(fmt::format(
            "field '{}' has an invalid value '{}' (expected a number, 12i, 12u, true or false, "
            "or a string in double quotes)",
            key, raw));
      }
      fields_.push_back(Field{key, value});
    }
    if (i < n && line[i] == ',') {
      ++i;
      continue;
    }
    if (i < n && line[i] != ' ') {
      return Status::InvalidArgument(
          fmt::format("unexpected '{}' after the value of field '{}'", line[i], key));
    }
    break;
  }

  while (i < n && line[i] == ' ') ++i;
  std::string_view ts = line.substr(i);
  while (!ts.empty() && (ts.back() == ' ' || ts.back() == '\t')) ts.remove_suffix(1);
  if (!ts.empty() && !ParseWhole(ts, &timestamp_)) {
    return Status::InvalidArgument(
        fmt::format("invalid timestamp '{}' (expected an integer)", ts.substr(0, 64)));
  }
  return Status::Ok();
}

void InfluxLineDecoder::BuildName(std::string_view field) {
  name_.clear();
  name_.append(measurement_);
  bool whole_measurement =
      options_.skip_single_field && !measurement_.empty() && fields_.size() + string_fields_ == 1;
  if (!whole_measurement) {
    if (!measurement_.empty()) name_.push_back('_');
    name_.append(field);
  }
  if (!IsPlainMetricName(name_)) name_ = SanitizeMetricName(name_);
}

void InfluxLineDecoder::AddSamples(size_t number) {
  int64_t ts_ms;
  if (!ToMilliseconds(timestamp_, precision_, ctx_.now_ms, &ts_ms)) {
    Reject(number, fmt::format("timestamp {} is out of range", timestamp_), fields_.size());
    return;
  }
  bool add_db = !options_.db.empty();
  for (const LabelView& t : tags_) add_db = add_db && t.name != "db";
  // Every field's series has the same labels but __name__: once they are validated (and sorted)
  // for one field, the next ones only swap their name in. A name may be too long on its own,
  // so those get the full check, and so does every field after a failure.
  bool ready = false;
  size_t name_index = 0;
  for (const Field& field : fields_) {
    BuildName(field.key);
    if (ready && static_cast<int>(name_.size()) <= limits_.max_label_value_length) {
      labels_[name_index].value = name_;
    } else {
      labels_.assign(tags_.begin(), tags_.end());
      if (add_db) labels_.push_back(LabelView{"db", options_.db});
      labels_.push_back(LabelView{"__name__", name_});
      if (Status s = ValidateSeriesLabels(labels_, limits_); !s.ok()) {
        Reject(number, s.message(), 1);
        ready = false;
        continue;
      }
      name_index = 0;
      while (labels_[name_index].name != "__name__") ++name_index;
      ready = true;
    }
    uint32_t series = batch_->AddSeries(labels_);
    batch_->AddSample(series, ts_ms, field.value);
  }
}

void InfluxLineDecoder::Decode(std::string_view line, size_t number) {
  if (Status s = Parse(line); !s.ok()) {
    Reject(number, s.message(), fields_.size());
    return;
  }
  if (!fields_.empty()) AddSamples(number);
}

}  // namespace

Status DecodeInfluxLines(std::string_view body, const InfluxOptions& options,
                         const MetricDecodeContext& ctx, storage::MetricBatch* batch,
                         MetricDecodeResult* result) {
  Precision precision;
  if (!ParsePrecision(options.precision, &precision)) {
    return Status::InvalidArgument(
        fmt::format("unknown precision '{}' (expected ns, us, ms, s, m or h)", options.precision));
  }
  InfluxLineDecoder decoder(options, precision, ctx, batch, result);
  size_t number = 0;
  while (!body.empty()) {
    const char* nl = static_cast<const char*>(std::memchr(body.data(), '\n', body.size()));
    size_t len = nl == nullptr ? body.size() : static_cast<size_t>(nl - body.data());
    std::string_view line = body.substr(0, len);
    body.remove_prefix(nl == nullptr ? len : len + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = 0;
    while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
    if (first == line.size() || line[first] == '#') continue;
    decoder.Decode(line.substr(first), number);
  }
  return Status::Ok();
}

}  // namespace sluice::pipeline
