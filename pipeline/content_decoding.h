// Undoing a request body's Content-Encoding (RFC 9110 §8.4): gzip, deflate, zstd and snappy.
//
// snappy is the block format (no framing), as Prometheus remote write and Loki's protobuf push send
// it. gzip and zstd accept several concatenated members/frames. Decoding never produces more than
// `max_bytes`, and never allocates more than about twice that (std::string's growth), so a small
// compressed body cannot make us allocate gigabytes ("zip bomb").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::pipeline {

// simdjson reads up to this many bytes past the end of its input; buffers handed to parsers keep
// at least this much spare capacity.
inline constexpr size_t kParsePadding = 64;

enum class ContentEncoding { kIdentity, kGzip, kDeflate, kZstd, kSnappy };

// Parses a Content-Encoding header value ("" and "identity" mean none). Case-insensitive.
// Unsupported or stacked encodings ("gzip, br") give InvalidArgument naming them.
Result<ContentEncoding> ParseContentEncoding(std::string_view header);

std::string_view ContentEncodingName(ContentEncoding encoding);

// Decodes `in` into `out` (whose previous content is discarded), leaving kParsePadding bytes of
// spare capacity. Errors: InvalidArgument for corrupt input, ResourceExhausted when the decoded
// body would exceed `max_bytes`. Thread-safe; reuses per-thread decompression contexts.
Status DecodeContent(ContentEncoding encoding, std::string_view in, size_t max_bytes,
                     std::string& out);

// Decodes snappy's block format; the same contract as DecodeContent.
Status SnappyUncompress(std::string_view in, size_t max_bytes, std::string& out);

}  // namespace sluice::pipeline
