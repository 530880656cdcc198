#include "tests/support/metrics_export.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <bit>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace sluice::testing {

uint64_t ValueBits(double v) {
  uint64_t b = std::bit_cast<uint64_t>(v);
  if (std::isnan(v)) return b == kStaleBits ? kStaleBits : kPlainNaNBits;
  return b;
}

std::string ValueText(uint64_t bits) {
  if (bits == kStaleBits) return "stale";
  return fmt::format("{}", std::bit_cast<double>(bits));
}

std::string KeyText(const SeriesKey& key) {
  std::string out = "{";
  for (const auto& [name, value] : key) {
    if (out.size() > 1) out += ", ";
    out += fmt::format("{}=\"{}\"", name, value);
  }
  return out + "}";
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

ParsedExport ParseExport(const std::string& body) {
  ParsedExport out;
  simdjson::ondemand::parser parser;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    ++out.lines;
    try {
      simdjson::padded_string padded(line);
      simdjson::ondemand::document doc = parser.iterate(padded);
      SeriesKey key;
      std::vector<int64_t> timestamps;
      std::vector<uint64_t> values;
      for (auto field : doc.get_object()) {
        std::string_view name = field.unescaped_key();
        if (name == "metric") {
          for (auto label : field.value().get_object()) {
            std::string_view label_name = label.unescaped_key();
            std::string_view label_value = label.value().get_string();
            key[std::string(label_name)] = std::string(label_value);
          }
        } else if (name == "values") {
          for (auto v : field.value().get_array()) {
            if (v.is_null()) {
              values.push_back(kStaleBits);
            } else if (v.type() == simdjson::ondemand::json_type::string) {
              std::string_view s = v.get_string();
              if (s == "NaN") {
                values.push_back(kPlainNaNBits);
              } else if (s == "Infinity" || s == "-Infinity") {
                double inf = std::numeric_limits<double>::infinity();
                values.push_back(ValueBits(s[0] == '-' ? -inf : inf));
              } else {
                throw std::runtime_error(fmt::format("unexpected value string \"{}\"", s));
              }
            } else {
              values.push_back(ValueBits(v.get_double()));
            }
          }
        } else if (name == "timestamps") {
          for (auto t : field.value().get_array()) {
            int64_t ts = t.get_int64();
            timestamps.push_back(ts);
          }
        }
      }
      if (key.empty() || timestamps.empty() || timestamps.size() != values.size()) {
        throw std::runtime_error("missing metric, or values and timestamps do not pair up");
      }
      if (out.data.count(key) != 0) throw std::runtime_error("series exported twice");
      SeriesSamples& samples = out.data[key];
      for (size_t i = 0; i < timestamps.size(); ++i) {
        if (i > 0 && timestamps[i] <= timestamps[i - 1]) {
          throw std::runtime_error(fmt::format("timestamps not strictly increasing at [{}]", i));
        }
        samples[timestamps[i]] = values[i];
      }
    } catch (const std::exception& e) {
      if (out.error.empty()) out.error = fmt::format("{} in export line: {}", e.what(), line);
    }
  }
  return out;
}

}  // namespace sluice::testing
