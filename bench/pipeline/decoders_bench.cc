// Decoding cost per wire format: the ingest workers' share of a request, measured on the loghub
// lines in 1,000-line batches. Each benchmark checks its answer before it times anything.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <snappy.h>

#include "base/json_writer.h"
#include "bench/bench_util.h"
#include "loki_push.pb.h"
#include "otlp_logs.pb.h"
#include "pipeline/content_decoding.h"
#include "pipeline/decoders/es_bulk.h"
#include "pipeline/decoders/json_lines.h"
#include "pipeline/decoders/loki_push_json.h"
#include "pipeline/decoders/loki_push_proto.h"
#include "pipeline/decoders/otlp_logs.h"

namespace sluice::pipeline {
namespace {

constexpr size_t kBatch = 1000;
constexpr int64_t kBaseTs = 1'700'000'000'000'000'000;

std::string Padded(const std::string& s) {
  std::string out;
  out.reserve(s.size() + kParsePadding);
  out = s;
  return out;
}

const std::vector<std::string>& Lines() { return bench::LoghubLines(); }

// Lines [offset, offset + kBatch) of loghub, spread over 16 streams like the 16 systems.
std::string LokiJson(size_t offset) {
  std::string body = R"({"streams":[)";
  JsonWriter w(&body);
  for (int s = 0; s < 16; ++s) {
    if (s > 0) body += ",";
    body += fmt::format(R"({{"stream":{{"job":"bench","system":"s{}"}},"values":[)", s);
    bool first = true;
    for (size_t i = s; i < kBatch; i += 16) {
      if (!first) body += ",";
      first = false;
      body += fmt::format(R"(["{}",)", kBaseTs + static_cast<int64_t>(i));
      body += '"';
      JsonWriter::AppendEscaped(&body, Lines()[(offset + i) % Lines().size()]);
      body += "\"]";
    }
    body += "]}";
  }
  body += "]}";
  return Padded(body);
}

std::string LokiProto(size_t offset) {
  logproto::PushRequest request;
  for (int s = 0; s < 16; ++s) {
    auto* stream = request.add_streams();
    stream->set_labels(fmt::format(R"({{job="bench", system="s{}"}})", s));
    for (size_t i = s; i < kBatch; i += 16) {
      auto* e = stream->add_entries();
      e->mutable_timestamp()->set_seconds(1'700'000'000);
      e->mutable_timestamp()->set_nanos(static_cast<int>(i));
      e->set_line(Lines()[(offset + i) % Lines().size()]);
    }
  }
  std::string raw = request.SerializeAsString();
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return Padded(compressed);
}

std::string Document(size_t i, size_t offset) {
  std::string doc = fmt::format(
      R"({{"@timestamp":"2026-11-23T08:13:53.{:06}Z","host":"vm","app":"s{}","message":")", i,
      i % 16);
  JsonWriter::AppendEscaped(&doc, Lines()[(offset + i) % Lines().size()]);
  doc += "\"}";
  return doc;
}

std::string Bulk(size_t offset) {
  std::string body;
  for (size_t i = 0; i < kBatch; ++i)
    body += "{\"index\":{\"_index\":\"bench\"}}\n" + Document(i, offset) + "\n";
  return Padded(body);
}

std::string JsonLines(size_t offset) {
  std::string body;
  for (size_t i = 0; i < kBatch; ++i) body += Document(i, offset) + "\n";
  return Padded(body);
}

std::string OtlpJson(size_t offset) {
  std::string body =
      R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bench"}}]},"scopeLogs":[{"logRecords":[)";
  for (size_t i = 0; i < kBatch; ++i) {
    if (i > 0) body += ",";
    body += fmt::format(R"({{"timeUnixNano":"{}","severityNumber":9,"body":{{"stringValue":")",
                        kBaseTs + static_cast<int64_t>(i));
    JsonWriter::AppendEscaped(&body, Lines()[(offset + i) % Lines().size()]);
    body += R"("},"attributes":[{"key":"host","value":{"stringValue":"vm"}}]})";
  }
  body += "]}]}]}";
  return Padded(body);
}

enum class Format { kLokiJson, kLokiProto, kBulk, kJsonLines, kOtlpJson };

void BM_Decode(benchmark::State& state, Format format) {
  std::vector<std::string> bodies;
  for (size_t offset = 0; offset < Lines().size(); offset += kBatch) {
    switch (format) {
      case Format::kLokiJson:
        bodies.push_back(LokiJson(offset));
        break;
      case Format::kLokiProto:
        bodies.push_back(LokiProto(offset));
        break;
      case Format::kBulk:
        bodies.push_back(Bulk(offset));
        break;
      case Format::kJsonLines:
        bodies.push_back(JsonLines(offset));
        break;
      case Format::kOtlpJson:
        bodies.push_back(OtlpJson(offset));
        break;
    }
  }
  IngestLimits limits;
  simdjson::ondemand::parser parser;
  DecodeContext ctx{kBaseTs, &limits, &parser};
  storage::LogBatch batch("bench");
  FieldMapping mapping;
  OtlpOptions otlp;
  std::vector<BulkItem> items;
  auto decode = [&](const std::string& body) {
    batch.Clear();
    items.clear();
    OtlpResult result;
    switch (format) {
      case Format::kLokiJson:
        return DecodeLokiPushJson(body, ctx, &batch);
      case Format::kLokiProto:
        return DecodeLokiPushProto(body, false, 1 << 30, ctx, &batch);
      case Format::kBulk:
        return DecodeEsBulk(body, BulkRequest{&mapping, ""}, ctx, &batch, &items);
      case Format::kJsonLines:
        return DecodeJsonLines(body, mapping, ctx, &batch);
      case Format::kOtlpJson:
        return DecodeOtlpLogsJson(body, otlp, ctx, &batch, &result);
    }
    return Status::Ok();
  };
  size_t bytes = 0;
  for (const std::string& body : bodies) {
    Status s = decode(body);
    if (!s.ok() || batch.entries().size() != kBatch) {
      state.SkipWithError(("decoding does not give 1,000 entries: " + s.message()).c_str());
      return;
    }
    bytes += body.size();
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decode(bodies[i++ % bodies.size()]));
  }
  bench::ReportCpuPerMillionLines(state, kBatch);
  state.counters["body_MB_per_s"] =
      benchmark::Counter(static_cast<double>(bytes) / static_cast<double>(bodies.size()) *
                             static_cast<double>(state.iterations()) / 1e6,
                         benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_Decode, loki_json, Format::kLokiJson);
BENCHMARK_CAPTURE(BM_Decode, loki_protobuf, Format::kLokiProto);
BENCHMARK_CAPTURE(BM_Decode, elasticsearch_bulk, Format::kBulk);
BENCHMARK_CAPTURE(BM_Decode, jsonline, Format::kJsonLines);
BENCHMARK_CAPTURE(BM_Decode, otlp_json, Format::kOtlpJson);

}  // namespace
}  // namespace sluice::pipeline
