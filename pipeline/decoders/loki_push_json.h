// Loki's JSON push body (POST /loki/api/v1/push, Content-Type: application/json):
//
//   {"streams":[{"stream":{"app":"x"},"values":[["<ts>","<line>"],["<ts>","<line>",{"k":"v"}]]}]}
//
// and the legacy shape of /api/prom/push:
//
//   {"streams":[{"labels":"{app=\"x\"}","entries":[{"ts":"2024-01-01T00:00:00Z","line":"..."}]}]}
//
// Timestamps: a string of digits is Unix nanoseconds (Loki's definition); RFC 3339 strings and
// JSON numbers (seconds/ms/us/ns by magnitude) are accepted too. The third element of a value holds
// structured metadata (string values; numbers and booleans keep their JSON text).
//
// Any problem rejects the whole request, with an error naming where: "streams[2].values[5]: ...".
#pragma once

#include <string_view>

#include "pipeline/decoders/decode_context.h"
#include "storage/log_batch.h"

namespace sluice::pipeline {

// `body` must be padded (see PaddedView).
Status DecodeLokiPushJson(std::string_view body, const DecodeContext& ctx, storage::LogBatch* batch);

}  // namespace sluice::pipeline
