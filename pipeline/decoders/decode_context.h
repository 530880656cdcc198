// What every decoder needs besides the bytes: who is writing, the time now, the limits, and the
// per-thread scratch (a reused simdjson parser) that keeps decoding free of allocations.
#pragma once

#include <cstdint>
#include <string_view>

#include <simdjson.h>

#include "pipeline/ingest_limits.h"

namespace sluice::pipeline {

struct DecodeContext {
  int64_t now_ns = 0;  // the timestamp of entries that carry none
  const IngestLimits* limits = nullptr;
  simdjson::ondemand::parser* json = nullptr;  // owned by the calling worker thread
};

// A view of `body` that simdjson may read past the end of. Precondition: the buffer behind
// `body` has at least kParsePadding readable bytes after it (HttpRequest::body guarantees this).
simdjson::padded_string_view PaddedView(std::string_view body);

// True when every token of `doc` was consumed (nothing trails the root value).
inline bool AtEnd(simdjson::ondemand::document& doc) {
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

// A JSON token without the whitespace simdjson's raw_json_token() may leave after it.
std::string_view TrimJsonToken(std::string_view token);

}  // namespace sluice::pipeline
