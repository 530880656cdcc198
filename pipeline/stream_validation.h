// Validation shared by every decoder: a stream's labels and an entry's line and metadata against
// IngestLimits, with Loki's error wording.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "pipeline/ingest_limits.h"
#include "storage/labels.h"

namespace sluice::pipeline {

// Sorts `labels`, drops empty values (as Loki does) and checks names, lengths, count and
// duplicates. An empty label set becomes {service_name="unknown_service"}, as Loki 3 does.
Status ValidateStreamLabels(storage::Labels& labels, const IngestLimits& limits);

// Checks the line length; cuts the line to the limit instead when limits.truncate_lines.
// `stream` is only used in the message.
Status CheckLine(std::string_view& line, const storage::Labels& stream, const IngestLimits& limits);

// Checks encoded structured metadata (storage/metadata_codec.h) of `entries` pairs.
Status CheckMetadata(std::string_view encoded, int entries, const storage::Labels& stream,
                     const IngestLimits& limits);

// A field name made into a valid label name: characters outside [a-zA-Z0-9_] become '_' and a
// leading digit gets a '_' in front ("log.file.path" -> "log_file_path").
std::string SanitizeLabelName(std::string_view name);
// The same into `out` (reused); returns `name` itself when it is already valid.
std::string_view SanitizeLabelName(std::string_view name, std::string* out);

}  // namespace sluice::pipeline
