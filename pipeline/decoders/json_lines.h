// JSON lines (POST /insert/jsonline, the raw TCP listener): one JSON object per line, mapped to
// entries by a FieldMapping (pipeline/field_mapping.h). Blank lines are skipped. A bad line
// rejects the whole request with its line number; nothing of that request is stored.
#pragma once

#include <string_view>

#include "pipeline/decoders/decode_context.h"
#include "pipeline/field_mapping.h"
#include "storage/log_batch.h"

namespace sluice::pipeline {

Status DecodeJsonLines(std::string_view body, const FieldMapping& mapping, const DecodeContext& ctx,
                       storage::LogBatch* batch);

// The same, but a bad line is skipped: counted in `rejected`, its error kept in `first_error` if
// that is empty. For the TCP listener, which has nobody to answer to.
void DecodeJsonLinesLenient(std::string_view body, const FieldMapping& mapping,
                            const DecodeContext& ctx, storage::LogBatch* batch, int64_t* rejected,
                            std::string* first_error);

}  // namespace sluice::pipeline
