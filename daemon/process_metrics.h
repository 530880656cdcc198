// ProcessMetrics: the standard process_* metrics of Prometheus client libraries, read from /proc at
// scrape time, plus sluice_build_info.
//
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds,
//   sluice_build_info{version,revision,branch} 1
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace sluice::daemon {

class ProcessMetrics final : public prometheus::Collectable {
 public:
  ProcessMetrics();
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  double start_time_seconds_ = 0;
};

}  // namespace sluice::daemon
