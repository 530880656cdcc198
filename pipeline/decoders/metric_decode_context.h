// What every metrics decoder needs besides the bytes.
#pragma once

#include <simdjson.h>

#include <cstdint>

#include "pipeline/metric_validation.h"

namespace sluice::pipeline {

struct MetricDecodeContext {
  int64_t now_ms = 0;  // the timestamp of samples that carry none (Influx, OTLP without time)
  const MetricLimits* limits = nullptr;
  simdjson::ondemand::parser* json = nullptr;  // owned by the calling worker thread
};

}  // namespace sluice::pipeline
