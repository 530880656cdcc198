#include "pipeline/content_decoding.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "base/strings.h"

namespace sluice::pipeline {
namespace {

constexpr size_t kChunk = 64 * 1024;

std::string Lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status TooLarge(ContentEncoding encoding, size_t max_bytes) {
  return Status::ResourceExhausted(fmt::format(
      "{}-decoded request body exceeds the limit of {} bytes (server.max_decoded_bytes)",
      ContentEncodingName(encoding), max_bytes));
}

// Grows `out` by up to one chunk, never past max_bytes + 1 (one byte more proves "too large").
size_t GrowForOutput(std::string& out, size_t used, size_t max_bytes) {
  size_t room = std::min(kChunk, max_bytes + 1 - used);
  out.resize(used + room);
  return room;
}

// A gzip member ends with its uncompressed size mod 2^32 (RFC 1952): a good first allocation.
size_t GzipSizeHint(std::string_view in) {
  if (in.size() < 18 || static_cast<unsigned char>(in[0]) != 0x1f) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
  return static_cast<size_t>(p[0]) | static_cast<size_t>(p[1]) << 8 |
         static_cast<size_t>(p[2]) << 16 | static_cast<size_t>(p[3]) << 24;
}

// Reserves `hint` bytes up front when it is plausible, so decoding rarely reallocates.
void ReserveHint(std::string& out, size_t hint, size_t max_bytes) {
  if (hint > 0 && hint <= max_bytes) out.reserve(hint + kParsePadding);
}

// windowBits: 15 + 32 detects a zlib or gzip header; -15 is raw deflate.
Status Inflate(ContentEncoding encoding, std::string_view in, size_t max_bytes, int window_bits,
               std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) return Status::Internal("inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  size_t used = 0;
  out.clear();
  ReserveHint(out, GzipSizeHint(in), max_bytes);
  while (true) {
    if (used == out.size()) {
      if (used > max_bytes) return TooLarge(encoding, max_bytes);
      GrowForOutput(out, used, max_bytes);
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(out.size() - used);
    int rc = inflate(&zs, Z_NO_FLUSH);
    used = out.size() - zs.avail_out;
    if (used > max_bytes) return TooLarge(encoding, max_bytes);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (concatenated files are valid gzip).
      if (inflateReset(&zs) != Z_OK) return Status::Internal("inflateReset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      return Status::InvalidArgument(
          fmt::format("{} request body is truncated", ContentEncodingName(encoding)));
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Status::InvalidArgument(fmt::format("{} request body is corrupt: {}",
                                                 ContentEncodingName(encoding),
                                                 zs.msg != nullptr ? zs.msg : "inflate failed"));
    }
  }
  out.resize(used);
  return Status::Ok();
}

Status Unzstd(std::string_view in, size_t max_bytes, std::string& out) {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(),
                                                                       ZSTD_freeDCtx);
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  out.clear();
  unsigned long long content_size = ZSTD_getFrameContentSize(in.data(), in.size());
  if (content_size != ZSTD_CONTENTSIZE_UNKNOWN && content_size != ZSTD_CONTENTSIZE_ERROR) {
    ReserveHint(out, static_cast<size_t>(content_size), max_bytes);
  }
  size_t used = 0;
  size_t last_ret = 0;
  while (input.pos < input.size || last_ret != 0) {
    if (used == out.size()) {
      if (used > max_bytes) return TooLarge(ContentEncoding::kZstd, max_bytes);
      GrowForOutput(out, used, max_bytes);
    }
    ZSTD_outBuffer output{out.data(), out.size(), used};
    size_t before_in = input.pos;
    last_ret = ZSTD_decompressStream(dctx.get(), &output, &input);
    if (ZSTD_isError(last_ret)) {
      return Status::InvalidArgument(
          fmt::format("zstd request body is corrupt: {}", ZSTD_getErrorName(last_ret)));
    }
    used = output.pos;
    if (used > max_bytes) return TooLarge(ContentEncoding::kZstd, max_bytes);
    bool progressed = input.pos != before_in || output.pos == output.size;
    if (!progressed && input.pos == input.size) {
      return Status::InvalidArgument("zstd request body is truncated");
    }
  }
  if (in.empty()) return Status::InvalidArgument("zstd request body is empty");
  out.resize(used);
  return Status::Ok();
}

}  // namespace

Result<ContentEncoding> ParseContentEncoding(std::string_view header) {
  std::string value = Lowercase(TrimBlanks(header));
  if (value.empty() || value == "identity") return ContentEncoding::kIdentity;
  if (value == "gzip" || value == "x-gzip") return ContentEncoding::kGzip;
  if (value == "deflate") return ContentEncoding::kDeflate;
  if (value == "zstd") return ContentEncoding::kZstd;
  if (value == "snappy") return ContentEncoding::kSnappy;
  return Status::InvalidArgument(fmt::format(
      "unsupported Content-Encoding \"{}\" (supported: gzip, deflate, zstd, snappy)", header));
}

std::string_view ContentEncodingName(ContentEncoding encoding) {
  switch (encoding) {
    case ContentEncoding::kIdentity:
      return "identity";
    case ContentEncoding::kGzip:
      return "gzip";
    case ContentEncoding::kDeflate:
      return "deflate";
    case ContentEncoding::kZstd:
      return "zstd";
    case ContentEncoding::kSnappy:
      return "snappy";
  }
  return "unknown";
}

Status SnappyUncompress(std::string_view in, size_t max_bytes, std::string& out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &length)) {
    return Status::InvalidArgument("snappy request body is corrupt: bad length header");
  }
  if (length > max_bytes) return TooLarge(ContentEncoding::kSnappy, max_bytes);
  out.reserve(length + kParsePadding);
  out.resize(length);
  if (!snappy::RawUncompress(in.data(), in.size(), out.data())) {
    out.clear();
    return Status::InvalidArgument("snappy request body is corrupt");
  }
  return Status::Ok();
}

Status DecodeContent(ContentEncoding encoding, std::string_view in, size_t max_bytes,
                     std::string& out) {
  Status status;
  switch (encoding) {
    case ContentEncoding::kIdentity:
      if (in.size() > max_bytes) return TooLarge(encoding, max_bytes);
      out.reserve(in.size() + kParsePadding);
      out.assign(in);
      return Status::Ok();
    case ContentEncoding::kGzip:
      status = Inflate(encoding, in, max_bytes, 15 + 32, out);
      break;
    case ContentEncoding::kDeflate:
      // RFC 9110 says zlib format; some clients send raw deflate. Try the former, then the latter.
      status = Inflate(encoding, in, max_bytes, 15 + 32, out);
      if (status.code() == StatusCode::kInvalidArgument) {
        status = Inflate(encoding, in, max_bytes, -15, out);
      }
      break;
    case ContentEncoding::kZstd:
      status = Unzstd(in, max_bytes, out);
      break;
    case ContentEncoding::kSnappy:
      return SnappyUncompress(in, max_bytes, out);
  }
  if (status.ok() && out.capacity() < out.size() + kParsePadding) {
    out.reserve(out.size() + kParsePadding);
  }
  return status;
}

}  // namespace sluice::pipeline
