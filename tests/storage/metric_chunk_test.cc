#include "storage/metric_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "base/coding.h"
#include "storage/metric_chunk_merge.h"

namespace sluice::storage {
namespace {

using namespace std::string_literals;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// Samples equal when timestamps and value bits are: NaN payloads and -0.0 count.
void ExpectSameSamples(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].timestamp_ms, want[i].timestamp_ms) << "sample " << i;
    ASSERT_EQ(Bits(got[i].value), Bits(want[i].value))
        << "sample " << i << ": " << got[i].value << " != " << want[i].value;
  }
}

template <typename F>
std::vector<double> Generate(int n, F f) {
  std::vector<double> v;
  v.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v.push_back(f(i));
  return v;
}

std::vector<Sample> Regular(const std::vector<double>& values, int64_t start = kT0,
                            int64_t step = 15'000) {
  std::vector<Sample> out;
  for (size_t i = 0; i < values.size(); ++i) {
    out.push_back({start + static_cast<int64_t>(i) * step, values[i]});
  }
  return out;
}

XorChunk MakeXor(const std::vector<Sample>& samples) {
  XorChunk c;
  for (const Sample& s : samples) c.Append(s.timestamp_ms, s.value);
  return c;
}

void ExpectXorRoundTrip(const std::vector<Sample>& samples) {
  XorChunk c = MakeXor(samples);
  EXPECT_EQ(c.count(), samples.size());
  EXPECT_EQ(c.first_ts(), samples.front().timestamp_ms);
  EXPECT_EQ(c.last_ts(), samples.back().timestamp_ms);
  std::vector<Sample> got;
  c.Decode(&got);
  ExpectSameSamples(got, samples);
}

std::string Seal(const std::vector<Sample>& samples) {
  std::string chunk;
  EncodeChunk(samples, &chunk);
  return chunk;
}

void ExpectSealedRoundTrip(const std::vector<Sample>& samples) {
  std::string chunk = Seal(samples);
  ChunkHeader h;
  ASSERT_TRUE(ReadChunkHeader(chunk, &h));
  EXPECT_EQ(h.count, samples.size());
  EXPECT_EQ(h.min_ts, samples.front().timestamp_ms);
  EXPECT_EQ(h.max_ts, samples.back().timestamp_ms);
  std::vector<Sample> got{{1, 2}};  // decoding appends
  Status s = DecodeChunk(chunk, &got);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(got.front().timestamp_ms, 1);
  got.erase(got.begin());
  ExpectSameSamples(got, samples);
}

void ExpectRoundTrips(const std::vector<Sample>& samples) {
  ExpectXorRoundTrip(samples);
  ExpectSealedRoundTrip(samples);
}

// The value_encoding byte of a sealed chunk (see the format in metric_chunk.h): 0 XOR, 1 decimal.
int ValueEncoding(std::string_view chunk) {
  chunk.remove_prefix(1);
  uint64_t v = 0;
  for (int i = 0; i < 3; ++i) {
    if (!GetVarint(chunk, &v)) return -1;
  }
  return chunk.empty() ? -1 : static_cast<uint8_t>(chunk.front());
}
constexpr int kXor = 0;
constexpr int kDecimal = 1;

std::vector<double> Counter(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> v;
  int64_t ticks = 123'456;
  for (size_t i = 0; i < n; ++i) {
    if (i == n / 2) ticks = 0;  // a reset
    ticks += static_cast<int64_t>(rng() % 3000);
    v.push_back(static_cast<double>(ticks));
  }
  return v;
}

TEST(XorChunk, IsSmallAndGrowsModestly) {
  EXPECT_LE(sizeof(XorChunk), 64u);
  XorChunk c;
  EXPECT_EQ(c.MemoryBytes(), sizeof(XorChunk));
  // A constant scraped every 15 s: 64 bits, then 2 bits per sample (41 bytes for 120).
  for (const Sample& s : Regular(std::vector<double>(120, 7))) c.Append(s.timestamp_ms, s.value);
  EXPECT_LE(c.MemoryBytes(), sizeof(XorChunk) + 64);
  // A counter: about 11 bits a sample.
  c.Clear();
  auto values = Generate(120, [](int i) { return 1000.0 + i * 15; });
  for (const Sample& s : Regular(values)) c.Append(s.timestamp_ms, s.value);
  EXPECT_LE(c.MemoryBytes(), sizeof(XorChunk) + 240);
}

TEST(XorChunk, RoundTripsCountersWithResets) { ExpectXorRoundTrip(Regular(Counter(500, 1))); }

TEST(XorChunk, RoundTripsGaugesAndConstants) {
  ExpectXorRoundTrip(Regular({0.25, 1013.7, 21.5, -3.2, 21.4, 0.25, 1013.7}));
  ExpectXorRoundTrip(Regular(std::vector<double>(200, 1.5e11)));
  ExpectXorRoundTrip(Regular(std::vector<double>(3, 0.0)));
}

TEST(XorChunk, RoundTripsRandomDoubles) {
  std::mt19937_64 rng(7);
  // Any bit pattern, NaN payloads included.
  auto values = Generate(1000, [&](int) { return std::bit_cast<double>(rng()); });
  ExpectXorRoundTrip(Regular(values));
}

std::vector<double> SpecialValues() {
  return {0.0,
          -0.0,
          StaleNaN(),
          std::numeric_limits<double>::quiet_NaN(),
          -std::numeric_limits<double>::quiet_NaN(),
          std::bit_cast<double>(uint64_t{0x7ff0000000000001}),  // signalling NaN payload
          std::bit_cast<double>(uint64_t{0xfff8dead00000000}),
          kInf,
          -kInf,
          1e300,
          -1e300,
          5e-324,
          -5e-324,
          std::numeric_limits<double>::min(),
          std::numeric_limits<double>::max(),
          std::numeric_limits<double>::lowest(),
          1.0,
          StaleNaN(),
          StaleNaN()};
}

TEST(XorChunk, RoundTripsSpecialValuesBitForBit) { ExpectXorRoundTrip(Regular(SpecialValues())); }

TEST(XorChunk, RoundTripsSingleSample) {
  ExpectXorRoundTrip({{kT0, 42.5}});
  ExpectXorRoundTrip({{-5, StaleNaN()}});
}

// Deltas whose delta-of-delta sits on each side of each of Prometheus' bucket limits.
std::vector<Sample> BucketBoundaryTimestamps() {
  std::vector<int64_t> dods{0,
                            1,
                            -1,
                            8191,
                            8192,
                            -8191,
                            -8192,
                            8193,
                            65535,
                            65536,
                            -65535,
                            -65536,
                            65537,
                            524287,
                            524288,
                            -524287,
                            -524288,
                            524289,
                            1 << 30,
                            -(1 << 30),
                            int64_t{1} << 40,
                            -(int64_t{1} << 40)};
  std::vector<Sample> out{{-kT0, 1}};
  int64_t delta = int64_t{1} << 41;  // large enough to stay positive
  for (size_t i = 0; i < dods.size(); ++i) {
    delta += dods[i];
    out.push_back({out.back().timestamp_ms + delta, static_cast<double>(i)});
  }
  return out;
}

TEST(XorChunk, RoundTripsIrregularNegativeAndExtremeTimestamps) {
  ExpectXorRoundTrip(BucketBoundaryTimestamps());
  ExpectXorRoundTrip(Regular(Counter(50, 2), -1'000'000, 1));
  ExpectXorRoundTrip({{kMin, 1}, {kMin + 1, 2}, {0, 3}, {kMax - 1, 4}, {kMax, 5}});
  ExpectXorRoundTrip({{kMin, 1}, {kMax, 2}});
  ExpectXorRoundTrip({{0, 1}, {1, 1}, {86'400'000'000, 1}, {86'400'000'001, 1}});
}

TEST(XorChunk, ClearKeepsTheBufferAndStartsAfresh) {
  XorChunk c = MakeXor(Regular(Counter(100, 3)));
  size_t memory = c.MemoryBytes();
  c.Clear();
  EXPECT_EQ(c.count(), 0u);
  EXPECT_EQ(c.MemoryBytes(), memory);
  std::vector<Sample> none;
  c.Decode(&none);
  EXPECT_TRUE(none.empty());
  auto samples = Regular({5, StaleNaN(), 7}, 100, 10);
  for (const Sample& s : samples) c.Append(s.timestamp_ms, s.value);
  std::vector<Sample> got;
  c.Decode(&got);
  ExpectSameSamples(got, samples);
}

TEST(XorChunk, CopiesAndMovesKeepTheSamples) {
  auto samples = Regular(Counter(64, 4));
  XorChunk a = MakeXor(samples);
  XorChunk b(a);
  XorChunk c;
  c = a;
  XorChunk d(std::move(a));
  XorChunk e;
  e = std::move(b);
  EXPECT_EQ(a.count(), 0u);  // NOLINT(bugprone-use-after-move): moved-from chunks are empty
  for (XorChunk* x : {&c, &d, &e}) {
    std::vector<Sample> got;
    x->Decode(&got);
    ExpectSameSamples(got, samples);
  }
  // Appending to a copy leaves the original alone.
  c.Append(samples.back().timestamp_ms + 1, 1);
  EXPECT_EQ(c.count(), samples.size() + 1);
  EXPECT_EQ(d.count(), samples.size());
  a = d;
  a.Append(samples.back().timestamp_ms + 5, 2);
  std::vector<Sample> got;
  a.Decode(&got);
  EXPECT_EQ(got.back().timestamp_ms, samples.back().timestamp_ms + 5);
}

TEST(SealedChunk, RoundTripsCountersAsDecimals) {
  auto samples = Regular(Counter(120, 5));
  ExpectSealedRoundTrip(samples);
  std::string chunk = Seal(samples);
  EXPECT_EQ(ValueEncoding(chunk), kDecimal);
  EXPECT_LT(chunk.size(), 120u * 3);
}

TEST(SealedChunk, FindsTheDecimalFormOfGaugeValues) {
  for (const auto& values : std::vector<std::vector<double>>{
           {0.1, 1.5e-3, 123456.789},
           {0.25, 1013.7, 21.5, -3.2, 21.4},
           {36.6, 36.7, 36.65, -40.125},
           {1e-10, 2e-10, 0},
           {1e20, 3e21, 5e22},
           {4096, 8192, 1e6},
           {-7, 9007199254740991.0, -9007199254740991.0},
       }) {
    auto samples = Regular(values);
    ExpectSealedRoundTrip(samples);
    EXPECT_EQ(ValueEncoding(Seal(samples)), kDecimal) << values[0];
  }
  // Exponents too far apart for one 53-bit mantissa.
  auto far_apart = Regular({1e22, 1e-22, 1, 2});
  ExpectSealedRoundTrip(far_apart);
  EXPECT_EQ(ValueEncoding(Seal(far_apart)), kXor);
}

TEST(SealedChunk, ConstantsAndRegularScrapesCostAFewBytes) {
  for (double v : {0.0, 1.0, 1.5e11, 0.001}) {
    auto samples = Regular(std::vector<double>(120, v));
    ExpectRoundTrips(samples);
    EXPECT_LE(Seal(samples).size(), 24u) << v;
  }
  // A counter that grows by exactly the same amount each time: deltas of deltas are zero.
  auto steady = Generate(120, [](int i) { return 100.0 + i * 15; });
  EXPECT_LE(Seal(Regular(steady)).size(), 28u);
  // Thousands of samples: zero runs are split but stay cheap.
  auto many = Regular(std::vector<double>(10'000, 3));
  ExpectSealedRoundTrip(many);
  EXPECT_LT(Seal(many).size(), 400u);
}

TEST(SealedChunk, NoisySmallIncrementsTakeLessThanAByte) {
  std::mt19937_64 rng(21);
  std::vector<double> events, memory;
  double count = 5'000'000, kb = 8'000'000;
  for (int i = 0; i < 120; ++i) {
    count += static_cast<double>(rng() % 8);
    events.push_back(count);
    // /proc/meminfo: kB, exposed in bytes.
    kb += static_cast<double>(static_cast<int>(rng() % 31) - 15);
    memory.push_back(kb * 1024);
  }
  for (const auto& values : {events, memory}) {
    auto samples = Regular(values);
    ExpectSealedRoundTrip(samples);
    // 4-6 bits per value and ~20 bytes of headers: byte-aligned tokens would need 8 bits per
    // value, and 16 for the memory without the gcd.
    EXPECT_LT(Seal(samples).size(), 110u);
  }
}

TEST(SealedChunk, RandomDoublesUseXor) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  auto values = Generate(120, [&](int) { return dist(rng); });
  auto samples = Regular(values);
  ExpectRoundTrips(samples);
  EXPECT_EQ(ValueEncoding(Seal(samples)), kXor);
  auto raw = Generate(120, [&](int) { return std::bit_cast<double>(rng()); });
  ExpectRoundTrips(Regular(raw));
}

TEST(SealedChunk, RoundTripsSpecialValuesBitForBit) {
  auto samples = Regular(SpecialValues());
  ExpectSealedRoundTrip(samples);
  for (double v : SpecialValues()) ExpectSealedRoundTrip({{kT0, v}});
  for (double v : SpecialValues()) ExpectSealedRoundTrip(Regular({1.5, v, 2.5}));
}

TEST(SealedChunk, AStaleMarkerKeepsTheChunkDecimal) {
  auto values = Generate(119, [](int i) { return 0.5 * i; });
  values.push_back(StaleNaN());
  auto samples = Regular(values);
  ExpectSealedRoundTrip(samples);
  EXPECT_EQ(ValueEncoding(Seal(samples)), kDecimal);
  // Exceptions at the start, in the middle and at the end.
  values[0] = -0.0;
  values[60] = kInf;
  values[61] = 0.1 + 0.2;  // no short decimal form
  samples = Regular(values);
  ExpectSealedRoundTrip(samples);
  EXPECT_EQ(ValueEncoding(Seal(samples)), kDecimal);
  // Mostly NaN: XOR.
  std::vector<double> nans(120, StaleNaN());
  nans[5] = 1;
  ExpectSealedRoundTrip(Regular(nans));
  EXPECT_EQ(ValueEncoding(Seal(Regular(nans))), kXor);
}

TEST(SealedChunk, RoundTripsIrregularNegativeAndExtremeTimestamps) {
  ExpectSealedRoundTrip(BucketBoundaryTimestamps());
  ExpectSealedRoundTrip(Regular(Counter(50, 6), -1'000'000, 1));
  ExpectSealedRoundTrip(Regular(Counter(50, 6), -1'000'000'000, 1000));
  ExpectSealedRoundTrip({{kMin, 1}, {kMin + 1, 2}, {0, 3}, {kMax - 1, 4}, {kMax, 5}});
  ExpectSealedRoundTrip({{kMin, 1}, {kMax, 2}});
  ExpectSealedRoundTrip({{kMin, 1}, {0, 2}, {kMax, 3}});
  ExpectSealedRoundTrip({{kMax, 1}});
  ExpectSealedRoundTrip({{0, 1}, {1, 1}, {86'400'000'000, 1}, {86'400'000'001, 1}});
  // Jittered scrapes.
  std::mt19937_64 rng(8);
  std::vector<Sample> jittered;
  jittered.reserve(120);
  for (int i = 0; i < 120; ++i) {
    jittered.push_back({kT0 + i * 15'000 + static_cast<int64_t>(rng() % 7), 1.0 * i});
  }
  ExpectSealedRoundTrip(jittered);
}

TEST(SealedChunk, RoundTripsManyGeneratedSeries) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 300; ++round) {
    size_t n = 1 + rng() % 300;
    std::vector<Sample> samples;
    int64_t ts = static_cast<int64_t>(rng() % 2'000'000'000'000) - 1'000'000'000'000;
    int64_t step = 1 + static_cast<int64_t>(rng() % 60'000);
    int decimals = static_cast<int>(rng() % 5);
    double scale = std::pow(10.0, decimals);
    int64_t m = static_cast<int64_t>(rng() % 1'000'000);
    for (size_t i = 0; i < n; ++i) {
      ts += step + (rng() % 4 == 0 ? static_cast<int64_t>(rng() % 11) : 0);
      if (rng() % 3 == 0) m += static_cast<int64_t>(rng() % 2000) - 500;
      double v = static_cast<double>(m) / scale;
      switch (rng() % 64) {
        case 0:
          v = StaleNaN();
          break;
        case 1:
          v = std::bit_cast<double>(rng());
          break;
        default:
          break;
      }
      samples.push_back({ts, v});
    }
    ExpectRoundTrips(samples);
    if (HasFatalFailure()) return;
  }
}

TEST(SealedChunk, EncodingAppendsAndEmptyChunksDecodeToNothing) {
  std::string out = "prefix";
  auto samples = Regular({1, 2, 3});
  EncodeChunk(samples, &out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  std::vector<Sample> got;
  ASSERT_TRUE(DecodeChunk(std::string_view(out).substr(6), &got).ok());
  ExpectSameSamples(got, samples);

  std::string empty = Seal({});
  ChunkHeader h;
  ASSERT_TRUE(ReadChunkHeader(empty, &h));
  EXPECT_EQ(h.count, 0u);
  got.clear();
  EXPECT_TRUE(DecodeChunk(empty, &got).ok());
  EXPECT_TRUE(got.empty());
}

TEST(SealedChunk, HeaderIsReadWithoutDecoding) {
  auto samples = Regular(Counter(77, 9), -60'000, 1000);
  std::string chunk = Seal(samples);
  ChunkHeader h;
  ASSERT_TRUE(ReadChunkHeader(chunk, &h));
  EXPECT_EQ(h.count, 77u);
  EXPECT_EQ(h.min_ts, -60'000);
  EXPECT_EQ(h.max_ts, -60'000 + 76'000);
  // The header alone is enough; the body may be cut off.
  ASSERT_TRUE(ReadChunkHeader(std::string_view(chunk).substr(0, 10), &h));
  EXPECT_EQ(h.count, 77u);
  EXPECT_FALSE(ReadChunkHeader("", &h));
  EXPECT_FALSE(ReadChunkHeader(std::string_view(chunk).substr(0, 3), &h));
  std::string other_version = chunk;
  other_version[0] = 2;
  EXPECT_FALSE(ReadChunkHeader(other_version, &h));
}

std::string Header(uint64_t count, int64_t min_ts, uint64_t span, uint8_t encoding) {
  std::string s(1, '\x01');
  PutVarint(&s, count);
  PutVarint(&s, ZigZagEncode(min_ts));
  PutVarint(&s, span);
  s.push_back(static_cast<char>(encoding));
  return s;
}

void ExpectCorrupt(std::string_view chunk) {
  std::vector<Sample> got{{7, 7}};
  Status s = DecodeChunk(chunk, &got);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_EQ(got.size(), 1u) << "a failed decode leaves the output as it was";
}

TEST(SealedChunk, RejectsEveryTruncation) {
  std::vector<double> with_exceptions = Counter(120, 10);
  with_exceptions[3] = StaleNaN();
  for (const auto& samples : {Regular(Counter(120, 10)), Regular(with_exceptions),
                              Regular(SpecialValues()), Regular(std::vector<double>(300, 1))}) {
    std::string chunk = Seal(samples);
    for (size_t n = 0; n < chunk.size(); ++n) {
      SCOPED_TRACE(n);
      ExpectCorrupt(std::string_view(chunk).substr(0, n));
    }
    ExpectCorrupt(chunk + '\0');
  }
}

TEST(SealedChunk, RejectsMalformedHeadersAndBodies) {
  ExpectCorrupt(Header(2, 0, 10, 7) + "\x02\x02"s);  // unknown value encoding
  // A huge count in a tiny chunk: rejected before anything is allocated.
  ExpectCorrupt(Header(uint64_t{1} << 31, 0, 1, 1) + std::string(16, '\x01'));
  ExpectCorrupt(Header(1, 0, 5, 1) + "\x00\x00\x02"s);  // one sample but a time span
  ExpectCorrupt(Header(2, kMax - 1, 2, 1));             // span beyond INT64_MAX
  // A zero delta (timestamps must increase), and deltas that overshoot the span.
  ExpectCorrupt(Header(2, 0, 10, 1) + "\x08\x01"s + "\x00\x00\x02\x08\x01"s);
  ExpectCorrupt(Header(3, 0, 10, 1) + "\x08\x15\x15"s + "\x00\x00\x02\x08\x01\x01"s);
  // A gcd of zero.
  ExpectCorrupt(Header(2, 0, 10, 1) + "\x00\x15"s + "\x00\x00\x02\x08\x01"s);
  // A zero run longer than what is left, or with a length byte past 127.
  ExpectCorrupt(Header(3, 0, 10, 0) + "\x08\x00\x05"s + std::string(10, '\0'));
  ExpectCorrupt(Header(3, 0, 10, 0) + "\x08\x00\x80"s + std::string(10, '\0'));
  // An unknown transform; a Rice parameter past 56; Rice bits cut short.
  ExpectCorrupt(Header(2, 0, 10, 1) + "\x0e\x03"s + "\x00\x00\x02\x08\x01"s);
  ExpectCorrupt(Header(2, 0, 10, 1) + "\x09\x39\x00"s + "\x00\x00\x02\x08\x01"s);
  ExpectCorrupt(Header(3, 0, 10, 1) + "\x09\x05\x30"s);
  // Decimal exponent out of range; as many exceptions as samples; mantissa beyond 2^53.
  std::string ok_ts = "\x50\x03"s;  // g = 10, values, tokens: one delta of 1 * 10
  ExpectCorrupt(Header(2, 0, 10, 1) + ok_ts + "\x2e\x00\x02\x08\x01"s);
  ExpectCorrupt(Header(2, 0, 10, 1) + ok_ts + "\x00\x02"s + std::string(18, '\0'));
  std::string big = Header(2, 0, 10, 1) + ok_ts + "\x00\x00"s;
  PutVarint(&big, ZigZagEncode(int64_t{1} << 53));
  big += "\x08\x01"s;
  ExpectCorrupt(big);
  // An exception index past the end.
  ExpectCorrupt(Header(2, 0, 10, 1) + ok_ts + "\x00\x01\x05"s + std::string(8, '\0') + "\x02"s);
  // XOR values that reuse a window never set.
  ExpectCorrupt(Header(2, 0, 10, 0) + ok_ts + std::string(8, '\0') + "\x80"s);
  // The same chunks well formed decode.
  std::vector<Sample> got;
  EXPECT_TRUE(DecodeChunk(Header(2, 0, 10, 1) + ok_ts + "\x00\x00\x02\x08\x01"s, &got).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].timestamp_ms, 10);
  EXPECT_EQ(got[1].value, 1);
  // A Rice escape: 16 ones, the width 5 (as 4) in 6 bits, then 10100 (zigzag 10).
  got.clear();
  EXPECT_TRUE(
      DecodeChunk(Header(2, 0, 10, 1) + "\x09\x00\xff\xff\x12\x80"s + "\x00\x00\x02\x08\x01"s, &got)
          .ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].timestamp_ms, 10);
}

TEST(SealedChunk, SurvivesBitFlips) {
  std::vector<double> values = Counter(120, 12);
  values[40] = StaleNaN();
  std::string chunks[] = {Seal(Regular(values)), Seal(Regular(SpecialValues()))};
  std::mt19937_64 rng(13);
  for (const std::string& chunk : chunks) {
    for (int round = 0; round < 2000; ++round) {
      std::string damaged = chunk;
      damaged[rng() % damaged.size()] ^= static_cast<char>(1 << (rng() % 8));
      std::vector<Sample> got;
      Status s = DecodeChunk(damaged, &got);
      if (!s.ok()) {
        EXPECT_TRUE(got.empty());
        continue;
      }
      // What decodes keeps the chunk's promises.
      ChunkHeader h;
      ASSERT_TRUE(ReadChunkHeader(damaged, &h));
      ASSERT_EQ(got.size(), h.count);
      EXPECT_EQ(got.front().timestamp_ms, h.min_ts);
      EXPECT_EQ(got.back().timestamp_ms, h.max_ts);
      for (size_t i = 1; i < got.size(); ++i) {
        ASSERT_LT(got[i - 1].timestamp_ms, got[i].timestamp_ms);
      }
    }
  }
}

SealedChunk MakeSealed(std::vector<Sample> samples, uint64_t seq) {
  SealedChunk c;
  c.key = "chunk-" + std::to_string(seq);
  c.min_ts = samples.front().timestamp_ms;
  c.max_ts = samples.back().timestamp_ms;
  c.seq = seq;
  EncodeChunk(samples, &c.value);
  return c;
}

std::vector<int64_t> Times(const std::vector<Sample>& samples) {
  std::vector<int64_t> out;
  for (const Sample& s : samples) out.push_back(s.timestamp_ms);
  return out;
}

TEST(MergeLateSamples, RewritesOnlyTheChunksLateSamplesFallInAndKeepsGapsApart) {
  std::vector<SealedChunk> chunks{MakeSealed({{10, 1}, {20, 2}}, 1),
                                  MakeSealed({{30, 3}, {40, 4}}, 2),
                                  MakeSealed({{50, 5}, {60, 6}}, 3)};
  // 5 before every chunk, 15 and a rewrite of 20 in the first, 45 and 47 in the gap before the
  // third; the second chunk gets nothing and stays.
  std::vector<Sample> late{{5, 0.5}, {15, 1.5}, {20, -2}, {45, 4.5}, {47, 4.7}};
  auto merge = MergeLateSamples(late, chunks, 120);
  ASSERT_TRUE(merge.ok()) << merge.status().message();
  EXPECT_EQ(merge->deleted_keys, std::vector<std::string>{"chunk-1"});
  ASSERT_EQ(merge->pieces.size(), 3u);
  EXPECT_EQ(Times(merge->pieces[0]), (std::vector<int64_t>{5}));
  EXPECT_EQ(Times(merge->pieces[1]), (std::vector<int64_t>{10, 15, 20}));
  EXPECT_EQ(merge->pieces[1][2].value, -2);  // the late write wins
  EXPECT_EQ(Times(merge->pieces[2]), (std::vector<int64_t>{45, 47}));
}

TEST(MergeLateSamples, OverlappingOldChunksAreRewrittenTogetherNewestWriteWinning) {
  // Two chunks written before chunks were kept disjoint; the newer (seq 7) holds 20 too.
  std::vector<SealedChunk> chunks{MakeSealed({{20, 7}, {40, 7}}, 7),
                                  MakeSealed({{10, 1}, {20, 2}, {30, 3}}, 3)};
  std::vector<Sample> late{{25, 2.5}};
  auto merge = MergeLateSamples(late, chunks, 2);
  ASSERT_TRUE(merge.ok());
  EXPECT_EQ(merge->deleted_keys.size(), 2u);
  std::vector<Sample> all;
  for (const auto& piece : merge->pieces) {
    EXPECT_LE(piece.size(), 2u);
    all.insert(all.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(Times(all), (std::vector<int64_t>{10, 20, 25, 30, 40}));
  EXPECT_EQ(all[1].value, 7);
}

TEST(MergeLateSamples, CorruptChunkIsAnError) {
  SealedChunk bad = MakeSealed({{10, 1}, {20, 2}}, 1);
  bad.value.resize(bad.value.size() / 2);
  std::vector<Sample> late{{15, 1.5}};
  EXPECT_FALSE(MergeLateSamples(late, {bad}, 120).ok());
}

}  // namespace
}  // namespace sluice::storage
