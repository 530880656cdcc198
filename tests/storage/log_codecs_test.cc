#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "base/coding.h"
#include "storage/label_matcher.h"
#include "storage/labels.h"
#include "storage/log_block.h"
#include "storage/metadata_codec.h"
#include "storage/wal_record.h"

namespace sluice::storage {
namespace {

using ::testing::HasSubstr;

TEST(Coding, VarintsRoundTripAndRejectTruncation) {
  std::string buf;
  std::vector<uint64_t> values{0, 1, 127, 128, 300, 1ull << 35, ~0ull};
  for (uint64_t v : values) PutVarint(&buf, v);
  std::string_view in(buf);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint(in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
  std::string_view truncated("\x80\x80", 2);
  uint64_t v = 0;
  EXPECT_FALSE(GetVarint(truncated, &v));
  std::string_view overlong("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10);
  EXPECT_FALSE(GetVarint(overlong, &v));
  for (int64_t s : {int64_t{0}, int64_t{-1}, int64_t{1}, INT64_MIN, INT64_MAX}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(s)), s);
  }
  std::string a, b;
  PutOrderedInt64(&a, -5);
  PutOrderedInt64(&b, 3);
  EXPECT_LT(a, b) << "ordered encoding sorts negatives first";
}

TEST(Labels, CanonicalizeSortsAndRejectsDuplicates) {
  Labels l{{"z", "1"}, {"a", "2"}};
  ASSERT_TRUE(Canonicalize(l).ok());
  EXPECT_EQ(LabelsToString(l), R"({a="2", z="1"})");
  Labels dup{{"a", "1"}, {"a", "2"}};
  EXPECT_THAT(Canonicalize(dup).message(), HasSubstr("duplicate label name \"a\""));
}

TEST(Labels, NamesAndValuesAreValidated) {
  EXPECT_TRUE(IsValidLabelName("job"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("9x"));
  EXPECT_FALSE(IsValidLabelName("service.name"));
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
}

TEST(Labels, StringFormEscapesLikeLoki) {
  Labels l{{"msg", "a \"b\" \\ c\nd"}};
  EXPECT_EQ(LabelsToString(l), R"({msg="a \"b\" \\ c\nd"})");
}

TEST(Labels, FingerprintDependsOnTenantAndEveryPair) {
  Labels a{{"a", "1"}, {"b", "2"}};
  Labels b{{"a", "1"}, {"b", "3"}};
  Labels c{{"a", "12"}};  // no ambiguity between a="1",b... and a="12"
  EXPECT_NE(StreamFingerprint("t", a), StreamFingerprint("t", b));
  EXPECT_NE(StreamFingerprint("t", a), StreamFingerprint("u", a));
  EXPECT_NE(StreamFingerprint("t", a), StreamFingerprint("t", c));
  EXPECT_EQ(StreamFingerprint("t", a), StreamFingerprint("t", Labels{{"a", "1"}, {"b", "2"}}));
}

TEST(LabelMatcher, FollowsPrometheusSemantics) {
  auto eq = *LabelMatcher::Make(MatchOp::kEqual, "job", "api");
  auto ne = *LabelMatcher::Make(MatchOp::kNotEqual, "job", "api");
  auto re = *LabelMatcher::Make(MatchOp::kRegexMatch, "job", "api|web");
  auto nre = *LabelMatcher::Make(MatchOp::kRegexNoMatch, "job", "a.*");
  EXPECT_TRUE(eq.Matches("api"));
  EXPECT_FALSE(eq.Matches("api2"));
  EXPECT_TRUE(ne.Matches("web"));
  EXPECT_TRUE(re.Matches("web"));
  EXPECT_FALSE(re.Matches("api-2")) << "regexes are anchored";
  EXPECT_FALSE(nre.Matches("api"));
  EXPECT_TRUE(nre.Matches("web"));
  EXPECT_TRUE(ne.MatchesEmpty());
  EXPECT_FALSE(eq.MatchesEmpty());
  EXPECT_TRUE(LabelMatcher::Make(MatchOp::kRegexMatch, "x", ".*")->MatchesEmpty());
  EXPECT_FALSE(LabelMatcher::Make(MatchOp::kRegexMatch, "x", "a.b")->Matches("a\nb"))
      << "`.` does not match a newline, as in Prometheus 2.x";
  EXPECT_TRUE(LabelMatcher::Make(MatchOp::kRegexMatch, "x", "(?s)a.b")->Matches("a\nb"));
  EXPECT_THAT(LabelMatcher::Make(MatchOp::kRegexMatch, "x", "(").status().message(),
              HasSubstr("invalid regex \"(\" for label x"));
  EXPECT_EQ(re.ToString(), R"(job=~"api|web")");
}

TEST(MetadataCodec, RoundTrips) {
  MetadataEncoder enc;
  EXPECT_EQ(enc.Finish(), "");
  enc.Add("trace_id", "abc");
  enc.Add("user", "");
  std::string encoded = enc.Finish();
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  ASSERT_TRUE(DecodeMetadata(encoded, &pairs));
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].first, "trace_id");
  EXPECT_EQ(pairs[0].second, "abc");
  EXPECT_EQ(pairs[1].second, "");
  EXPECT_FALSE(DecodeMetadata(encoded.substr(0, encoded.size() - 1), &pairs));
  EXPECT_TRUE(DecodeMetadata("", &pairs));
  EXPECT_TRUE(pairs.empty());
}

TEST(WalRecord, RoundTripsStreamsEntriesAndMetadata) {
  LogBatch batch("tenant-a");
  uint32_t s0 = batch.AddStream({{"app", "x"}});
  uint32_t s1 = batch.AddStream({{"app", "y"}, {"env", "prod"}});
  EXPECT_EQ(batch.AddStream({{"app", "x"}}), s0) << "streams are deduplicated";
  MetadataEncoder meta;
  meta.Add("trace_id", "t1");
  batch.AddEntry(s0, 1000, "first");
  batch.AddEntry(s1, 500, "other", meta.Finish());
  batch.AddEntry(s0, 900, "second, earlier");
  std::vector<std::vector<uint32_t>> by_stream{{0, 2}, {1}};
  std::string record;
  EncodeWalRecord(batch, {s0, s1}, by_stream, &record);

  WalRecordReader reader(record);
  ASSERT_TRUE(reader.Open().ok());
  EXPECT_EQ(reader.tenant(), "tenant-a");
  Labels labels;
  uint64_t count = 0;
  ASSERT_TRUE(reader.NextStream(&labels, &count));
  EXPECT_EQ(labels, (Labels{{"app", "x"}}));
  ASSERT_EQ(count, 2u);
  int64_t ts = 0;
  std::string_view line, md;
  ASSERT_TRUE(reader.NextEntry(&ts, &line, &md));
  EXPECT_EQ(ts, 1000);
  EXPECT_EQ(line, "first");
  ASSERT_TRUE(reader.NextEntry(&ts, &line, &md));
  EXPECT_EQ(ts, 900);
  EXPECT_EQ(line, "second, earlier");
  ASSERT_TRUE(reader.NextStream(&labels, &count));
  ASSERT_TRUE(reader.NextEntry(&ts, &line, &md));
  EXPECT_EQ(ts, 500);
  EXPECT_FALSE(md.empty());
  EXPECT_FALSE(reader.NextStream(&labels, &count));
  EXPECT_TRUE(reader.status().ok());
}

TEST(WalRecord, TruncatedRecordsAreCorruptionNotCrashes) {
  LogBatch batch("t");
  uint32_t s = batch.AddStream({{"a", "b"}});
  for (int i = 0; i < 10; ++i) batch.AddEntry(s, i, "line " + std::to_string(i));
  std::string record;
  EncodeWalRecord(batch, {s}, {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}, &record);
  for (size_t cut = 0; cut < record.size(); ++cut) {
    WalRecordReader reader(std::string_view(record).substr(0, cut));
    if (!reader.Open().ok()) continue;
    Labels labels;
    uint64_t count = 0;
    size_t seen = 0;
    while (reader.NextStream(&labels, &count)) {
      int64_t ts;
      std::string_view line, md;
      for (uint64_t i = 0; i < count && reader.NextEntry(&ts, &line, &md); ++i) ++seen;
    }
    EXPECT_FALSE(reader.status().ok()) << "cut at " << cut;
  }
}

TEST(LogBlock, RoundTripsSortedWithMetadata) {
  BlockEncoder encoder(3);
  std::vector<std::string> lines;
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i)
    lines.push_back("line " + std::to_string(rng() % 100000) + std::string(i % 37, 'x'));
  std::vector<BlockEntry> entries;
  std::vector<int64_t> stamps;
  for (int i = 0; i < 1000; ++i) {
    int64_t ts = 1'700'000'000'000'000'000 + static_cast<int64_t>(rng() % 1'000'000'000);
    stamps.push_back(ts);
    entries.push_back(
        BlockEntry{ts, lines[i], i % 10 == 0 ? std::string_view("\x01\x01k\x01v", 5) : ""});
  }
  std::string encoded;
  BlockHeader header;
  ASSERT_TRUE(encoder.Encode(entries, &encoded, &header).ok());
  std::sort(stamps.begin(), stamps.end());
  EXPECT_EQ(header.count, 1000u);
  EXPECT_EQ(header.min_ts, stamps.front());
  EXPECT_EQ(header.max_ts, stamps.back());
  EXPECT_TRUE(header.has_metadata);

  BlockHeader peeked;
  ASSERT_TRUE(ReadBlockHeader(encoded, &peeked).ok());
  EXPECT_EQ(peeked.max_ts, header.max_ts);

  auto decoded = DecodedBlock::Decode(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->size(), 1000u);
  for (size_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(decoded->timestamp(i), entries[i].timestamp_ns);
    EXPECT_EQ(decoded->line(i), entries[i].line);
    EXPECT_EQ(decoded->metadata(i), entries[i].metadata);
    if (i > 0) {
      EXPECT_LE(decoded->timestamp(i - 1), decoded->timestamp(i));
    }
  }
  EXPECT_EQ(decoded->lines().size(), header.line_bytes);
  EXPECT_EQ(decoded->lines().substr(decoded->line_offset(5), decoded->line(5).size()),
            decoded->line(5));
}

TEST(LogBlock, EqualTimestampsKeepArrivalOrder) {
  BlockEncoder encoder(1);
  std::vector<BlockEntry> entries{{5, "a", ""}, {3, "b", ""}, {5, "c", ""}, {3, "d", ""}};
  std::string encoded;
  BlockHeader header;
  ASSERT_TRUE(encoder.Encode(entries, &encoded, &header).ok());
  auto decoded = DecodedBlock::Decode(encoded);
  ASSERT_TRUE(decoded.ok());
  std::string order;
  for (size_t i = 0; i < decoded->size(); ++i) order += decoded->line(i);
  EXPECT_EQ(order, "bdac");
}

TEST(LogBlock, CorruptBlocksAreRejected) {
  BlockEncoder encoder(1);
  std::vector<BlockEntry> entries{{1, "hello", ""}, {2, "world", ""}};
  std::string encoded;
  BlockHeader header;
  ASSERT_TRUE(encoder.Encode(entries, &encoded, &header).ok());
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    EXPECT_FALSE(DecodedBlock::Decode(encoded.substr(0, cut)).ok()) << cut;
  }
  std::string flipped = encoded;
  flipped[1] = static_cast<char>(100);  // count
  EXPECT_EQ(DecodedBlock::Decode(flipped).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace sluice::storage
