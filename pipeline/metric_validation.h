// Validation shared by every metrics decoder: a series' labels against MetricLimits, with
// Prometheus' and Mimir's wording, and the name translation OTLP and Influx need.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/metric_batch.h"

namespace sluice::pipeline {

// Limits on what a series may look like (VictoriaMetrics' and Mimir's defaults).
struct MetricLimits {
  int max_labels_per_series = 40;  // __name__ included
  int max_label_name_length = 256;
  int max_label_value_length = 4096;

  bool operator==(const MetricLimits&) const = default;
};

// Sorts `labels` by name, drops empty values (in Prometheus an empty value is the same as no
// label) and checks: __name__ present and a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), label
// names valid ([a-zA-Z_][a-zA-Z0-9_]*) and unique, values valid UTF-8, count and lengths within
// `limits`. The message names the series (its metric name) and the offending label.
Status ValidateSeriesLabels(std::vector<storage::LabelView>& labels, const MetricLimits& limits);

bool IsValidMetricName(std::string_view name);

// A string made into a valid metric name: characters outside [a-zA-Z0-9_:] become '_', a leading
// digit gets '_' in front. (Label names: SanitizeLabelName in stream_validation.h.)
std::string SanitizeMetricName(std::string_view name);

// What a metrics decoder reports besides the batch. Invalid series (or lines, or OTLP data points)
// are skipped one by one and counted here; a body that cannot be parsed at all is an error
// status instead, and nothing of it is stored.
struct MetricDecodeResult {
  int64_t rejected_series = 0;
  int64_t rejected_samples = 0;
  std::string first_error;  // the first rejection's reason, naming the line or series

  void Reject(std::string reason, int64_t samples);
};

}  // namespace sluice::pipeline
