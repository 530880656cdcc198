#include "pipeline/content_decoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <random>

#include "tests/support/compress.h"

namespace sluice::pipeline {
namespace {

using ::testing::HasSubstr;

using ::sluice::testing::Deflate;
using ::sluice::testing::Gzip;

std::string Zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

std::string Snappy(std::string_view in) {
  std::string out;
  snappy::Compress(in.data(), in.size(), &out);
  return out;
}

std::string SampleText(size_t size) {
  std::mt19937 rng(42);
  std::string s;
  while (s.size() < size)
    s += "level=info msg=\"request served\" status=" + std::to_string(rng() % 600) + "\n";
  s.resize(size);
  return s;
}

TEST(ParseContentEncoding, KnowsTheSupportedEncodings) {
  EXPECT_EQ(*ParseContentEncoding(""), ContentEncoding::kIdentity);
  EXPECT_EQ(*ParseContentEncoding("identity"), ContentEncoding::kIdentity);
  EXPECT_EQ(*ParseContentEncoding("GZIP"), ContentEncoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding(" x-gzip "), ContentEncoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding("deflate"), ContentEncoding::kDeflate);
  EXPECT_EQ(*ParseContentEncoding("zstd"), ContentEncoding::kZstd);
  EXPECT_EQ(*ParseContentEncoding("snappy"), ContentEncoding::kSnappy);
  EXPECT_THAT(ParseContentEncoding("br").status().message(),
              HasSubstr("unsupported Content-Encoding \"br\""));
  EXPECT_FALSE(ParseContentEncoding("gzip, zstd").ok());
}

class RoundTrip : public ::testing::TestWithParam<size_t> {};

TEST_P(RoundTrip, EveryEncodingRestoresTheBodyWithPadding) {
  std::string text = SampleText(GetParam());
  struct Case {
    ContentEncoding encoding;
    std::string encoded;
  };
  for (const Case& c :
       {Case{ContentEncoding::kIdentity, text}, Case{ContentEncoding::kGzip, Gzip(text)},
        Case{ContentEncoding::kDeflate, Deflate(text, 15)},
        Case{ContentEncoding::kDeflate, Deflate(text, -15)},
        Case{ContentEncoding::kZstd, Zstd(text)}, Case{ContentEncoding::kSnappy, Snappy(text)}}) {
    std::string out = "stale";
    Status s = DecodeContent(c.encoding, c.encoded, 64 << 20, out);
    ASSERT_TRUE(s.ok()) << ContentEncodingName(c.encoding) << ": " << s.message();
    EXPECT_EQ(out, text) << ContentEncodingName(c.encoding);
    EXPECT_GE(out.capacity(), out.size() + kParsePadding);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, RoundTrip, ::testing::Values(1, 1000, 200'000, 3'000'000));

TEST(DecodeContent, ConcatenatedGzipMembersAndZstdFrames) {
  std::string out;
  ASSERT_TRUE(DecodeContent(ContentEncoding::kGzip, Gzip("abc") + Gzip("def"), 1000, out).ok());
  EXPECT_EQ(out, "abcdef");
  ASSERT_TRUE(DecodeContent(ContentEncoding::kZstd, Zstd("abc") + Zstd("def"), 1000, out).ok());
  EXPECT_EQ(out, "abcdef");
}

TEST(DecodeContent, RefusesToExpandPastTheLimit) {
  std::string zeros(10 << 20, '\0');  // compresses to a few KiB: a small "zip bomb"
  std::string out;
  for (auto [encoding, encoded] : {std::pair{ContentEncoding::kGzip, Gzip(zeros)},
                                   std::pair{ContentEncoding::kZstd, Zstd(zeros)},
                                   std::pair{ContentEncoding::kSnappy, Snappy(zeros)},
                                   std::pair{ContentEncoding::kIdentity, zeros}}) {
    Status s = DecodeContent(encoding, encoded, 1 << 20, out);
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << ContentEncodingName(encoding);
    EXPECT_THAT(s.message(), HasSubstr("exceeds the limit of 1048576 bytes"));
    EXPECT_LE(out.capacity(), 2 * ((1u << 20) + (1u << 16) + kParsePadding))
        << "must stop allocating near the limit";
  }
  // Exactly at the limit is fine.
  ASSERT_TRUE(DecodeContent(ContentEncoding::kGzip, Gzip(zeros), zeros.size(), out).ok());
  EXPECT_EQ(out.size(), zeros.size());
}

TEST(DecodeContent, CorruptAndTruncatedInputsAreInvalidArgument) {
  std::string text = SampleText(10'000);
  std::string out;
  std::string gz = Gzip(text);
  std::string zs = Zstd(text);
  std::string sn = Snappy(text);
  struct Case {
    ContentEncoding encoding;
    std::string body;
    const char* expect;
  };
  for (const Case& c :
       {Case{ContentEncoding::kGzip, "not gzip at all", "gzip request body is corrupt"},
        Case{ContentEncoding::kGzip, gz.substr(0, gz.size() / 2), "truncated"},
        Case{ContentEncoding::kGzip, "", "truncated"},
        Case{ContentEncoding::kDeflate, "\xff\xff\xff\xff", "corrupt"},
        Case{ContentEncoding::kZstd, "not zstd", "zstd request body is corrupt"},
        Case{ContentEncoding::kZstd, zs.substr(0, zs.size() / 2), "truncated"},
        Case{ContentEncoding::kZstd, "", "empty"},
        Case{ContentEncoding::kSnappy, "\xff\xff\xff\xff\xff\xff", "snappy"},
        Case{ContentEncoding::kSnappy, sn.substr(0, sn.size() / 2),
             "snappy request body is corrupt"}}) {
    Status s = DecodeContent(c.encoding, c.body, 1 << 20, out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument)
        << ContentEncodingName(c.encoding) << " " << c.expect;
    EXPECT_THAT(s.message(), HasSubstr(c.expect));
  }
}

}  // namespace
}  // namespace sluice::pipeline
