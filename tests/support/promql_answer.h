// The answers of a Prometheus-compatible query API (/api/v1/query, query_range, series, labels,
// label values, metadata, format_query), parsed, and compared as the differential test compares
// Sluice's with Prometheus' own: HTTP status, status, errorType, resultType, label sets,
// timestamps, and values within 1e-9 relative (NaN equals NaN, infinities by sign); order only
// where PromQL defines it. Also the runner that asks two servers the same calls and reports
// where they differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/metrics_export.h"

namespace sluice::testing {

struct AnswerPoint {
  int64_t t_ms = 0;
  double value = 0;
  std::string text;  // the value as sent (the string of a string result)
};

struct ResultSeries {
  SeriesKey labels;
  std::vector<AnswerPoint> points;
};

// One API answer, parsed. Query results become `series` (a scalar or string is one series
// without labels); /api/v1/series data becomes label-only series, label names and values
// `strings`.
struct Answer {
  int http = 0;
  std::string status, error_type, error, result_type;
  std::vector<ResultSeries> series;
  std::vector<std::string> strings;
  std::string malformed;  // why the body is not an API answer; "" when it is
  std::string body;
};

// Parses an API answer; a body that is not one sets `malformed` (never throws).
Answer ParseAnswer(int http, const std::string& body);

// Equal, NaN to NaN, infinities by sign, or finite within 1e-9 relative.
bool SameValue(double a, double b);

// Milliseconds as seconds: "1700000000", or "1700000000.500" when not whole.
std::string TimeText(int64_t ms);

// Which order of the series Compare checks: none, by label set (range-query matrices), or by
// value (sort(), sort_desc(), ungrouped topk() and bottomk()).
enum class Order { kNone, kByLabels, kByValue };

// The differences of `got` from `want` (Prometheus' answer), one a line; empty when they match.
std::vector<std::string> Compare(const Answer& want, const Answer& got, Order order);

// sort(...), sort_desc(...), or topk/bottomk(...) without grouping, as the whole expression.
bool OrderedByValue(std::string_view expr);

// One API call, made the same way to both servers.
struct ApiCall {
  std::string where;   // "promql_queries.txt:12" or a test's name
  std::string expr;    // for the report
  std::string path;    // "/api/v1/query"
  std::string params;  // form-encoded
  bool post = false;
  Order order = Order::kNone;

  // Where it comes from, the expression, and the request, for a report.
  std::string Describe() const;
};

// Makes `call` to 127.0.0.1:`port` and parses the answer ("no answer" as `malformed`).
Answer Ask(uint16_t port, const ApiCall& call);

// Runs every call against both ports; returns a readable report of the mismatches ("" if none).
// SLUICE_PROMQL_DIFF_DUMP=<file> writes a summary of each of the first port's answers there.
std::string RunCalls(uint16_t want_port, uint16_t got_port, const std::vector<ApiCall>& calls,
                     size_t* mismatches);

}  // namespace sluice::testing
