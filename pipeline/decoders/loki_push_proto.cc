#include "pipeline/decoders/loki_push_proto.h"

#include <fmt/format.h>
#include <google/protobuf/arena.h>

#include "loki_push.pb.h"
#include "pipeline/content_decoding.h"
#include "pipeline/label_string_parser.h"
#include "pipeline/stream_validation.h"
#include "storage/metadata_codec.h"

namespace sluice::pipeline {

Status DecodeLokiPushProto(std::string_view body, bool already_uncompressed, size_t max_bytes,
                           const DecodeContext& ctx, storage::LogBatch* batch) {
  thread_local std::string uncompressed;
  std::string_view message = body;
  if (!already_uncompressed) {
    Status s = SnappyUncompress(body, max_bytes, uncompressed);
    if (!s.ok()) {
      return Status(s.code(), "protobuf push body is not snappy-compressed: " + s.message());
    }
    message = uncompressed;
  }
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<logproto::PushRequest>(&arena);
  if (message.size() > static_cast<size_t>(INT32_MAX) ||
      !request->ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    return Status::InvalidArgument(
        "malformed protobuf push body (expected a logproto.PushRequest)");
  }
  storage::MetadataEncoder metadata;
  for (int s = 0; s < request->streams_size(); ++s) {
    const logproto::StreamAdapter& stream = request->streams(s);
    std::string where = fmt::format("streams[{}]", s);
    if (stream.entries_size() == 0) continue;
    Result<storage::Labels> parsed = ParseLabelString(stream.labels());
    if (!parsed.ok()) return parsed.status().WithContext(where);
    storage::Labels labels = std::move(parsed).value();
    Status valid = ValidateStreamLabels(labels, *ctx.limits);
    if (!valid.ok()) return valid.WithContext(where);
    uint32_t index = batch->AddStream(labels);
    for (int e = 0; e < stream.entries_size(); ++e) {
      const logproto::EntryAdapter& entry = stream.entries(e);
      std::string_view line = entry.line();
      Status line_ok = CheckLine(line, labels, *ctx.limits);
      if (!line_ok.ok()) return line_ok.WithContext(fmt::format("{}.entries[{}]", where, e));
      metadata.Clear();
      int pairs = 0;
      for (const auto& pair : entry.structuredmetadata()) {
        if (pair.value().empty()) continue;
        metadata.Add(SanitizeLabelName(pair.name()), pair.value());
        ++pairs;
      }
      std::string encoded = metadata.Finish();
      Status meta_ok = CheckMetadata(encoded, pairs, labels, *ctx.limits);
      if (!meta_ok.ok()) return meta_ok.WithContext(fmt::format("{}.entries[{}]", where, e));
      int64_t ts = ctx.now_ns;
      if (entry.has_timestamp()) {
        int64_t seconds = entry.timestamp().seconds();
        int32_t nanos = entry.timestamp().nanos();
        // Unix nanoseconds in an int64 span the years 1678 to 2262.
        if (seconds < -9'223'372'035 || seconds > 9'223'372'035 || nanos < 0 ||
            nanos > 999'999'999) {
          return Status::InvalidArgument(
              fmt::format("{}.entries[{}]: timestamp out of range", where, e));
        }
        ts = seconds * 1'000'000'000 + nanos;
      }
      batch->AddEntry(index, ts, line, encoded);
    }
  }
  return Status::Ok();
}

}  // namespace sluice::pipeline
