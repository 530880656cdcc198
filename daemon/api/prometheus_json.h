// How Prometheus 2.42 writes query results in JSON (web/api/v1/api.go and its jsoniter
// encoders): a sample's time as integer seconds with a three-digit fraction when it has one,
// a scalar's or string's time as Go's float formatting prints it, values with Go's
// FormatFloat(v, 'f', -1, 64) and "NaN", "+Inf", "-Inf". Written by hand rather than through
// JsonWriter because a range query's answer can hold millions of points.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "query/promql_value.h"
#include "storage/labels.h"

namespace sluice::daemon::promapi {

// {"name":"value",...}, in the labels' order.
void AppendLabels(const storage::Labels& labels, std::string* out);

// ["item",...]
void AppendStringArray(const std::vector<std::string>& items, std::string* out);

// The `result` of a query answer for r.type: a vector [{"metric":{...},"value":[<t>,"<v>"]},...],
// a matrix [{"metric":{...},"values":[[<t>,"<v>"],...]},...], a scalar or string [<t>,"<v>"].
// Appends nothing for kNone.
void AppendResult(const query::promql::QueryResult& r, std::string* out);

// About the bytes AppendResult appends for `r`, to reserve them at once.
size_t EstimateResultBytes(const query::promql::QueryResult& r);

}  // namespace sluice::daemon::promapi
