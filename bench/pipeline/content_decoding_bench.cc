// Request body decoding: the first CPU cost of every compressed ingest request, paid on IO threads.
#include <benchmark/benchmark.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include "bench/bench_util.h"
#include "pipeline/content_decoding.h"

namespace sluice::pipeline {
namespace {

std::string Gzip(std::string_view in) {
  uLongf size = compressBound(static_cast<uLong>(in.size())) + 64;
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(size, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Encode(ContentEncoding encoding, const std::string& text) {
  switch (encoding) {
    case ContentEncoding::kGzip:
      return Gzip(text);
    case ContentEncoding::kZstd: {
      std::string out(ZSTD_compressBound(text.size()), '\0');
      out.resize(ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3));
      return out;
    }
    case ContentEncoding::kSnappy: {
      std::string out;
      snappy::Compress(text.data(), text.size(), &out);
      return out;
    }
    default:
      return text;
  }
}

void BM_DecodeContent(benchmark::State& state, ContentEncoding encoding) {
  const std::string& text = bench::LoghubText();
  std::string encoded = Encode(encoding, text);
  std::string out;
  // Verify before timing.
  if (!DecodeContent(encoding, encoded, 1 << 30, out).ok() || out != text) {
    state.SkipWithError("decoding does not round-trip");
    return;
  }
  for (auto _ : state) {
    Status s = DecodeContent(encoding, encoded, 1 << 30, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(s);
  }
  bench::ReportCpuPerGB(state, static_cast<double>(text.size()));
  state.counters["ratio"] = static_cast<double>(text.size()) / static_cast<double>(encoded.size());
}

BENCHMARK_CAPTURE(BM_DecodeContent, identity, ContentEncoding::kIdentity);
BENCHMARK_CAPTURE(BM_DecodeContent, gzip, ContentEncoding::kGzip);
BENCHMARK_CAPTURE(BM_DecodeContent, zstd, ContentEncoding::kZstd);
BENCHMARK_CAPTURE(BM_DecodeContent, snappy, ContentEncoding::kSnappy);

}  // namespace
}  // namespace sluice::pipeline
