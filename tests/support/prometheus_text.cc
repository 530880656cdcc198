#include "tests/support/prometheus_text.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <sstream>

namespace sluice::testing {
namespace {

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

}  // namespace

Result<PrometheusSamples> ParsePrometheusText(const std::string& text) {
  PrometheusSamples samples;
  std::istringstream in(text);
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    auto error = [&](std::string_view why) {
      return Status::InvalidArgument(fmt::format("line {}: {}: {}", line_number, why, line));
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) != 0 && line.rfind("# TYPE ", 0) != 0) continue;
      if (line.rfind("# TYPE ", 0) == 0) {
        std::string type = line.substr(line.rfind(' ') + 1);
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
            type != "untyped") {
          return error("unknown metric type");
        }
      }
      continue;
    }
    size_t i = 0;
    if (!IsNameStart(line[0])) return error("metric name expected");
    while (i < line.size() && IsNameChar(line[i])) ++i;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        if (!IsNameStart(line[i])) return error("label name expected");
        while (i < line.size() && IsNameChar(line[i])) ++i;
        if (line.compare(i, 2, "=\"") != 0) return error("=\" expected after label name");
        i += 2;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            ++i;
            if (i >= line.size() || (line[i] != '\\' && line[i] != '"' && line[i] != 'n')) {
              return error("bad escape in label value");
            }
          }
          ++i;
        }
        if (i >= line.size()) return error("unterminated label value");
        ++i;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return error("unterminated label set");
      ++i;
    }
    std::string series = line.substr(0, i);
    if (i >= line.size() || line[i] != ' ') return error("space before value expected");
    std::string value_text = line.substr(i + 1);
    size_t space = value_text.find(' ');  // an optional timestamp follows
    value_text = value_text.substr(0, space);
    double value = 0;
    if (value_text == "+Inf") {
      value = INFINITY;
    } else if (value_text == "-Inf") {
      value = -INFINITY;
    } else if (value_text == "NaN") {
      value = NAN;
    } else {
      char* end = nullptr;
      value = std::strtod(value_text.c_str(), &end);
      if (end == value_text.c_str() || *end != '\0') return error("bad sample value");
    }
    if (samples.count(series) != 0) return error("duplicate series");
    samples[series] = value;
  }
  return samples;
}

}  // namespace sluice::testing
