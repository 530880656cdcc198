// Turns one JSON object (a bulk document, a JSON line) into an entry of a LogBatch, following a
// FieldMapping (pipeline/field_mapping.h).
//
// The line is the first non-empty msg field; without one it is the whole document as received,
// and the fields are then not repeated as metadata. The timestamp is the first present time
// field, else `now`. Stream labels are the stream fields (sanitized names) plus
// `default_labels` when no stream field is configured. Strings are unescaped; numbers, booleans
// and arrays keep their JSON text; nulls and empty strings are dropped.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/decoders/decode_context.h"
#include "pipeline/field_mapping.h"
#include "storage/log_batch.h"

namespace sluice::pipeline {

class JsonDocumentDecoder {
 public:
  // `raw` is the document's bytes; the buffer behind it must be padded (see PaddedView).
  Status Add(std::string_view raw, const FieldMapping& mapping,
             const storage::Labels& default_labels, const DecodeContext& ctx,
             storage::LogBatch* batch);

 private:
  Status Flatten(simdjson::ondemand::object object, std::string& prefix, int depth);

  std::vector<std::pair<std::string, std::string>> fields_;  // reused between documents
};

}  // namespace sluice::pipeline
