#include "base/units.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsPrometheusForms) {
  EXPECT_EQ(*ParseDuration("0"), 0s);
  EXPECT_EQ(*ParseDuration("30s"), 30s);
  EXPECT_EQ(*ParseDuration("5m"), 5min);
  EXPECT_EQ(*ParseDuration("1h30m"), 90min);
  EXPECT_EQ(*ParseDuration("250ms"), 250ms);
  EXPECT_EQ(*ParseDuration("2d"), 48h);
  EXPECT_EQ(*ParseDuration("1w"), 7 * 24h);
  EXPECT_EQ(*ParseDuration("1y"), 365 * 24h);
  EXPECT_EQ(*ParseDuration("1m30s500ms"), 90500ms);
}

TEST(ParseDuration, AcceptsGoFormsUsedByLokiConfigs) {
  EXPECT_EQ(*ParseDuration("1.5h"), 90min);
  EXPECT_EQ(*ParseDuration("100us"), 100us);
  EXPECT_EQ(*ParseDuration("100\xC2\xB5s"), 100us);
  EXPECT_EQ(*ParseDuration("42ns"), 42ns);
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "5", "m", "5x", "30s5m", "5m5m", "-5s", "1.2.3s", " 5s", "5s "}) {
    Result<std::chrono::nanoseconds> r = ParseDuration(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("invalid duration"), std::string::npos);
    }
  }
}

TEST(ParseDuration, RejectsOverflow) { EXPECT_FALSE(ParseDuration("999999999y").ok()); }

TEST(FormatDuration, IsShortestExactSpelling) {
  EXPECT_EQ(FormatDuration(0s), "0s");
  EXPECT_EQ(FormatDuration(90min), "1h30m");
  EXPECT_EQ(FormatDuration(250ms), "250ms");
  EXPECT_EQ(FormatDuration(48h), "2d");
  EXPECT_EQ(FormatDuration(1500us), "1ms500us");
  for (const char* s : {"1h30m", "5m", "2d3h", "1w", "10s", "1m30s500ms"}) {
    EXPECT_EQ(FormatDuration(*ParseDuration(s)), s);
  }
}

TEST(ParseByteSize, FollowsGoHumanize) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("512"), 512u);
  EXPECT_EQ(*ParseByteSize("512B"), 512u);
  EXPECT_EQ(*ParseByteSize("256KiB"), 256u * 1024);
  EXPECT_EQ(*ParseByteSize("256kib"), 256u * 1024);
  EXPECT_EQ(*ParseByteSize("1KB"), 1000u);
  EXPECT_EQ(*ParseByteSize("1k"), 1000u);
  EXPECT_EQ(*ParseByteSize("1Ki"), 1024u);
  EXPECT_EQ(*ParseByteSize("16MiB"), 16u << 20);
  EXPECT_EQ(*ParseByteSize("1 GB"), 1'000'000'000u);
  EXPECT_EQ(*ParseByteSize("1.5GiB"), 3u << 29);
  EXPECT_EQ(*ParseByteSize("2TiB"), 2ull << 40);
}

TEST(ParseByteSize, RejectsMalformed) {
  for (const char* bad : {"", "KiB", "lots", "12XB", "1..2MB", "-1", "1 2", "99999999EiB"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

TEST(FormatByteSize, UsesExactBinaryUnits) {
  EXPECT_EQ(FormatByteSize(0), "0B");
  EXPECT_EQ(FormatByteSize(1000), "1000B");
  EXPECT_EQ(FormatByteSize(256 * 1024), "256KiB");
  EXPECT_EQ(FormatByteSize(64ull << 20), "64MiB");
  EXPECT_EQ(FormatByteSize(1536), "1536B");
}

}  // namespace
}  // namespace sluice
