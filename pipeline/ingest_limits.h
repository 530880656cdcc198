// Limits every decoder enforces on what it accepts, with Loki's defaults. A violation is reported
// with Loki's wording (pkg/validation/validate.go) so operators recognise it.
#pragma once

#include <cstdint>

namespace sluice::pipeline {

struct IngestLimits {
  uint64_t max_line_bytes = 256 << 10;  // 0 = unlimited
  bool truncate_lines = false;          // cut long lines instead of refusing them
  int max_labels_per_stream = 15;
  int max_label_name_length = 1024;
  int max_label_value_length = 2048;
  uint64_t max_metadata_bytes = 64 << 10;  // structured metadata of one entry
  int max_metadata_entries = 128;

  bool operator==(const IngestLimits&) const = default;
};

}  // namespace sluice::pipeline
