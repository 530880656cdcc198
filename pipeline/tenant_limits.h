// The limits a tenant's writes are held to: what one entry or series may look like, how fast the
// tenant may write, and how many streams and series it may have. Every tenant gets the defaults
// (config `limits:`) unless `tenants.overrides` names it.
#pragma once

#include <cstdint>

#include "base/tenant_overrides.h"
#include "pipeline/ingest_limits.h"
#include "pipeline/metric_validation.h"

namespace sluice::pipeline {

// A token bucket's settings: `per_second` units refill it up to `burst`; 0 per second means
// unlimited.
struct RateLimit {
  double per_second = 0;
  double burst = 0;

  bool unlimited() const { return per_second <= 0; }
  // What the bucket holds when full: the burst, but at least one second's worth.
  double bucket_size() const { return burst > per_second ? burst : per_second; }
  bool operator==(const RateLimit&) const = default;
};

struct TenantLimits {
  IngestLimits logs;
  MetricLimits metrics;
  RateLimit log_bytes;  // bytes of log lines and structured metadata
  RateLimit samples;    // metric samples
  // Streams (series) the tenant may have stored, over all shards; 0 = no cap.
  uint64_t max_streams = 0;
  uint64_t max_series = 0;
};

using LimitsTable = TenantOverrides<TenantLimits>;

}  // namespace sluice::pipeline
