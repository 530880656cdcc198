// Decoding cost per metrics wire format, on the same node_exporter-like request of 2,000 series
// with one sample each (what Prometheus sends per remote-write request). Each benchmark checks
// its answer before it times anything.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <snappy.h>

#include "bench/bench_util.h"
#include "pipeline/content_decoding.h"
#include "pipeline/decoders/influx_line.h"
#include "pipeline/decoders/remote_write.h"
#include "pipeline/decoders/vm_import.h"

namespace sluice::pipeline {
namespace {

constexpr int kSeries = 2000;
constexpr int64_t kTs = 1'700'000'000'000;

// node_cpu_seconds_total-like series: 8 labels, values with two decimals.
std::vector<RemoteWriteSeries> NodeSeries() {
  std::vector<RemoteWriteSeries> out;
  for (int i = 0; i < kSeries; ++i) {
    RemoteWriteSeries s;
    s.labels = {{"__name__", fmt::format("node_metric_{}_total", i % 40)},
                {"cpu", std::to_string(i % 8)},
                {"device", fmt::format("dev{}", i % 5)},
                {"instance", fmt::format("host-{}.example.com:9100", i / 400)},
                {"job", "node"},
                {"mode", fmt::format("mode{}", i % 10)},
                {"region", "eu-west-1"},
                {"series", std::to_string(i)}};
    s.samples = {{kTs, 12345.67 + i}};
    out.push_back(std::move(s));
  }
  return out;
}

std::string Padded(std::string s) {
  s.reserve(s.size() + kParsePadding);
  return s;
}

struct Decoding {
  MetricLimits limits;
  simdjson::ondemand::parser parser;
  MetricDecodeContext ctx{kTs, &limits, &parser};
  storage::MetricBatch batch{"bench"};
  MetricDecodeResult result;

  void Reset() {
    batch.Clear();
    batch.set_tenant("bench");
    result = {};
  }
};

template <typename Decode>
void Run(benchmark::State& state, const std::string& body, Decode decode) {
  Decoding d;
  Status s = decode(body, d);
  if (!s.ok() || d.batch.samples().size() != kSeries || d.result.rejected_series != 0) {
    state.SkipWithError(fmt::format("decoding failed: {} ({} samples, first error: {})",
                                    s.message(), d.batch.samples().size(), d.result.first_error)
                            .c_str());
    return;
  }
  for (auto _ : state) {
    d.Reset();
    benchmark::DoNotOptimize(decode(body, d));
  }
  state.SetBytesProcessed(static_cast<int64_t>(body.size()) * state.iterations());
  bench::ReportCpuPerMillion(state, kSeries, "samples");
}

void BM_RemoteWriteDecode(benchmark::State& state) {
  std::string body;
  EncodeRemoteWrite(NodeSeries(), {}, &body);
  Run(state, body, [](const std::string& b, Decoding& d) {
    return DecodeRemoteWrite(b, d.ctx, &d.batch, &d.result);
  });
}
BENCHMARK(BM_RemoteWriteDecode);

// What the worker does with a real request: snappy first.
void BM_RemoteWriteSnappyDecode(benchmark::State& state) {
  std::string raw, body;
  EncodeRemoteWrite(NodeSeries(), {}, &raw);
  snappy::Compress(raw.data(), raw.size(), &body);
  std::string scratch;
  Run(state, body, [&](const std::string& b, Decoding& d) {
    Status s = SnappyUncompress(b, 64 << 20, scratch);
    if (!s.ok()) return s;
    return DecodeRemoteWrite(scratch, d.ctx, &d.batch, &d.result);
  });
}
BENCHMARK(BM_RemoteWriteSnappyDecode);

void BM_VmImportDecode(benchmark::State& state) {
  std::string text;
  for (const RemoteWriteSeries& s : NodeSeries()) AppendVmExportLine(s.labels, s.samples, &text);
  std::string body = Padded(text);
  Run(state, body, [](const std::string& b, Decoding& d) {
    return DecodeVmImport(b, d.ctx, &d.batch, &d.result);
  });
}
BENCHMARK(BM_VmImportDecode);

void BM_InfluxDecode(benchmark::State& state) {
  std::string body;
  // 2,000 lines of one field each, tags like Telegraf's cpu plugin.
  for (int i = 0; i < kSeries; ++i) {
    body += fmt::format(
        "node_metric_{},cpu={},device=dev{},host=host-{}.example.com,mode=mode{},region=eu-west-1,"
        "series={} total={} {}\n",
        i % 40, i % 8, i % 5, i / 400, i % 10, i, 12345.67 + i, kTs * 1'000'000);
  }
  Run(state, body, [](const std::string& b, Decoding& d) {
    return DecodeInfluxLines(b, InfluxOptions{}, d.ctx, &d.batch, &d.result);
  });
}
BENCHMARK(BM_InfluxDecode);

}  // namespace
}  // namespace sluice::pipeline
