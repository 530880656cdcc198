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
#include "storage/metadata_codec.h"

namespace sluice::pipeline {

// Reuse one decoder for many documents: its buffers keep their capacity, so the steady state
// allocates nothing per field.
class JsonDocumentDecoder {
 public:
  // `raw` is the document's bytes; the buffer behind it must be padded (see PaddedView).
  Status Add(std::string_view raw, const FieldMapping& mapping,
             const storage::Labels& default_labels, const DecodeContext& ctx,
             storage::LogBatch* batch);

 private:
  struct Field {
    uint32_t name_offset;  // into names_ (flattened names are built there)
    uint32_t name_size;
    std::string_view value;  // into the document or the parser's string buffer: valid until the
                             // next document
    bool taken = false;      // used as message, time or stream label
  };

  Status Flatten(simdjson::ondemand::object object, int depth);
  std::string_view NameOf(const Field& f) const {
    return std::string_view(names_).substr(f.name_offset, f.name_size);
  }
  void AddField(std::string_view value);
  // The first not-yet-taken field named like one of `names` (non-empty when `need_value`).
  Field* Take(const std::vector<std::string>& names, bool need_value);

  std::vector<Field> fields_;
  // Documents of one request mostly share their stream: remember the last one (for this batch).
  storage::Labels last_labels_;
  const storage::LogBatch* last_batch_ = nullptr;
  size_t last_batch_streams_ = 0;
  uint32_t last_stream_ = 0;
  std::string names_;
  std::string prefix_;
  std::string sanitized_;
  storage::MetadataEncoder metadata_;
};

}  // namespace sluice::pipeline
