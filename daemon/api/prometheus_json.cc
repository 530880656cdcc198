#include "daemon/api/prometheus_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <iterator>

#include "base/json_writer.h"

namespace sluice::daemon::promapi {
namespace {

// Go's FormatFloat(v, 'f', -1, 64), with Prometheus' spellings of the special values.
void AppendFloat(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[400];  // the longest fixed-notation double is 330 characters
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    out->append(buf, r.ptr);
  }
}

// A sample's time as Prometheus writes it: seconds, then "." and three digits if any.
void AppendPointTime(int64_t ms, std::string* out) {
  uint64_t abs = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  if (ms < 0) out->push_back('-');
  fmt::format_to(std::back_inserter(*out), "{}", abs / 1000);
  if (uint64_t frac = abs % 1000; frac != 0)
    fmt::format_to(std::back_inserter(*out), ".{:03}", frac);
}

// [<t>,"<v>"]
void AppendPoint(int64_t ms, double v, std::string* out) {
  out->push_back('[');
  AppendPointTime(ms, out);
  out->append(",\"");
  AppendFloat(v, out);
  out->append("\"]");
}

}  // namespace

void AppendLabels(const storage::Labels& labels, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->push_back('"');
    JsonWriter::AppendEscaped(out, labels[i].name);
    out->append("\":\"");
    JsonWriter::AppendEscaped(out, labels[i].value);
    out->push_back('"');
  }
  out->push_back('}');
}

void AppendStringArray(const std::vector<std::string>& items, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->push_back('"');
    JsonWriter::AppendEscaped(out, items[i]);
    out->push_back('"');
  }
  out->push_back(']');
}

void AppendResult(const query::promql::QueryResult& r, std::string* out) {
  switch (r.type) {
    case query::promql::ValueType::kScalar:
    case query::promql::ValueType::kString: {
      // Scalars and strings carry their time as a float, as Go's encoding/json prints it.
      out->push_back('[');
      AppendFloat(static_cast<double>(r.scalar.t) / 1000, out);
      out->append(",\"");
      if (r.type == query::promql::ValueType::kScalar) {
        AppendFloat(r.scalar.v, out);
      } else {
        JsonWriter::AppendEscaped(out, r.string);
      }
      out->append("\"]");
      return;
    }
    case query::promql::ValueType::kVector:
      out->push_back('[');
      for (size_t i = 0; i < r.vector.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append(R"({"metric":)");
        AppendLabels(r.vector[i].labels, out);
        out->append(R"(,"value":)");
        AppendPoint(r.vector[i].t, r.vector[i].v, out);
        out->push_back('}');
      }
      out->push_back(']');
      return;
    case query::promql::ValueType::kMatrix:
      out->push_back('[');
      for (size_t i = 0; i < r.matrix.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append(R"({"metric":)");
        AppendLabels(r.matrix[i].labels, out);
        out->append(R"(,"values":[)");
        const std::vector<query::promql::Point>& points = r.matrix[i].points;
        for (size_t j = 0; j < points.size(); ++j) {
          if (j > 0) out->push_back(',');
          AppendPoint(points[j].t, points[j].v, out);
        }
        out->append("]}");
      }
      out->push_back(']');
      return;
    case query::promql::ValueType::kNone:
      return;
  }
}

size_t EstimateResultBytes(const query::promql::QueryResult& r) {
  size_t points = r.vector.size();
  for (const query::promql::Series& s : r.matrix) points += s.points.size() + 4;
  return 64 + points * 28;
}

}  // namespace sluice::daemon::promapi
