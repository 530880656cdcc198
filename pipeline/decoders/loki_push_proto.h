// Loki's protobuf push body (what Promtail, Grafana Alloy and winston-loki send by default):
// a logproto.PushRequest (pipeline/proto/loki_push.proto), compressed with snappy's block format.
// Each stream's labels arrive as text ({job="x"}, see pipeline/label_string_parser.h).
//
// Any problem rejects the whole request, with an error naming where: "streams[2].entries[5]: ...".
#pragma once

#include <string_view>

#include "pipeline/decoders/decode_context.h"
#include "storage/log_batch.h"

namespace sluice::pipeline {

// `body` is the snappy-compressed message, or the message itself when `already_uncompressed`
// (the request said Content-Encoding: snappy and the server undid it).
Status DecodeLokiPushProto(std::string_view body, bool already_uncompressed, size_t max_bytes,
                           const DecodeContext& ctx, storage::LogBatch* batch);

}  // namespace sluice::pipeline
