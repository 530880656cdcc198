// Timestamps, label strings, validation and field mapping: the pieces every decoder uses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/field_mapping.h"
#include "pipeline/label_string_parser.h"
#include "pipeline/stream_validation.h"
#include "pipeline/timestamp_parser.h"

namespace sluice::pipeline {
namespace {

using storage::Labels;
using ::testing::HasSubstr;

TEST(ParseTimestamp, Rfc3339Variants) {
  EXPECT_EQ(*ParseTimestamp("2023-06-06T04:48:11.735Z"), 1686026891735000000);
  EXPECT_EQ(*ParseTimestamp("2023-06-06 04:48:12.735+01:00"), 1686023292735000000);
  EXPECT_EQ(*ParseTimestamp("2023-06-06T04:48:12+0100"), 1686023292000000000);
  EXPECT_EQ(*ParseTimestamp("2026-11-23T08:13:53.594160+00:00"), 1795421633594160000);
  EXPECT_EQ(*ParseTimestamp("2023-06-06T04:48:12.123456789Z"), 1686026892123456789);
  EXPECT_EQ(*ParseTimestamp("2023-06-06T04:48:12"), 1686026892000000000) << "no zone is UTC";
  EXPECT_EQ(*ParseTimestamp("2023-06-06"), 1686009600000000000);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimestamp("1969-12-31T23:59:59Z"), -1'000'000'000);
}

TEST(ParseTimestamp, UnixNumbersByMagnitude) {
  EXPECT_EQ(*ParseTimestamp("1686026893"), 1686026893000000000);
  EXPECT_EQ(*ParseTimestamp("1686026893735"), 1686026893735000000);
  EXPECT_EQ(*ParseTimestamp("1686026893735123"), 1686026893735123000);
  EXPECT_EQ(*ParseTimestamp("1686026893735123456"), 1686026893735123456);
  EXPECT_EQ(*ParseTimestamp("1686026123.62"), 1686026123620000000);
  EXPECT_EQ(*ParseTimestamp("1.68e9"), 1680000000000000000);
  EXPECT_EQ(*ParseTimestamp("1000", IntegerUnit::kNanoseconds), 1000) << "Loki: integers are ns";
  EXPECT_EQ(*ParseTimestamp("-1686026893"), -1686026893000000000);
  EXPECT_EQ(*ParseTimestamp("-9223372036854775808"), INT64_MIN) << "as nanoseconds, no overflow";
}

TEST(ParseTimestamp, RejectsGarbage) {
  for (const char* bad :
       {"", "bogus", "2023-13-01", "2023-06-06T25:00:00Z", "2023-06-06T04:48:11.Z",
        "2023-06-06X04:48:11", "12:00", "1e999", "2023-06-06T04:48:11Zjunk"}) {
    Result<int64_t> r = ParseTimestamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_THAT(r.status().message(), HasSubstr("invalid timestamp"));
    }
  }
}

TEST(ParseLabelString, AcceptsPrometheusSyntax) {
  EXPECT_EQ(*ParseLabelString(R"({job="api", level="info"})"),
            (Labels{{"job", "api"}, {"level", "info"}}));
  EXPECT_EQ(*ParseLabelString(R"({job="a\"b\\c\n",x='y',z=`r\aw`,})"),
            (Labels{{"job", "a\"b\\c\n"}, {"x", "y"}, {"z", "r\\aw"}}));
  EXPECT_EQ(*ParseLabelString("{}"), Labels{});
  EXPECT_EQ(*ParseLabelString(""), Labels{});
  EXPECT_EQ(*ParseLabelString(R"(up{job="x"})"), (Labels{{"__name__", "up"}, {"job", "x"}}));
  EXPECT_EQ(*ParseLabelString(R"({ a = "\u00e9\x41" })"), (Labels{{"a",
                                                                   "\xC3\xA9"
                                                                   "A"}}));
}

TEST(ParseLabelString, ErrorsNameThePosition) {
  EXPECT_EQ(ParseLabelString(R"({job="api")").status().message(),
            "couldn't parse labels: 1:11: parse error: unexpected end of input inside braces");
  EXPECT_THAT(ParseLabelString(R"({job=~"api"})").status().message(),
              HasSubstr("only = is allowed"));
  EXPECT_THAT(ParseLabelString(R"({job="a\qb"})").status().message(),
              HasSubstr("unknown escape sequence"));
  EXPECT_THAT(ParseLabelString(R"({job=api})").status().message(), HasSubstr("expected string"));
  EXPECT_THAT(ParseLabelString(R"({job="a" x="b"})").status().message(),
              HasSubstr("expected \",\" or \"}\""));
  EXPECT_THAT(ParseLabelString(R"({job="a"} junk)").status().message(),
              HasSubstr("after the label set"));
}

TEST(ValidateStreamLabels, SortsDropsEmptyValuesAndDefaultsServiceName) {
  IngestLimits limits;
  Labels l{{"z", "1"}, {"a", ""}, {"m", "2"}};
  ASSERT_TRUE(ValidateStreamLabels(l, limits).ok());
  EXPECT_EQ(l, (Labels{{"m", "2"}, {"z", "1"}}));
  Labels empty;
  ASSERT_TRUE(ValidateStreamLabels(empty, limits).ok());
  EXPECT_EQ(empty, (Labels{{"service_name", "unknown_service"}}));
}

TEST(ValidateStreamLabels, EachLimitHasLokisMessage) {
  IngestLimits limits;
  limits.max_labels_per_stream = 2;
  limits.max_label_name_length = 5;
  limits.max_label_value_length = 5;
  Labels many{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  EXPECT_EQ(
      ValidateStreamLabels(many, limits).message(),
      R"(entry for stream '{a="1", b="2", c="3"}' has 3 label names; limit 2 (limits.max_labels_per_stream))");
  Labels long_name{{"abcdef", "1"}};
  EXPECT_THAT(ValidateStreamLabels(long_name, limits).message(),
              HasSubstr("has label name too long: 'abcdef'"));
  Labels long_value{{"a", "123456"}};
  EXPECT_THAT(ValidateStreamLabels(long_value, limits).message(),
              HasSubstr("has label value too long: '123456'"));
  Labels bad_name{{"1a", "x"}};
  EXPECT_THAT(ValidateStreamLabels(bad_name, limits).message(),
              HasSubstr("invalid label name: '1a'"));
  Labels dup{{"a", "1"}, {"a", "2"}};
  EXPECT_THAT(ValidateStreamLabels(dup, limits).message(), HasSubstr("duplicate label name: 'a'"));
  Labels bad_utf8{{"a", "\xff"}};
  EXPECT_THAT(ValidateStreamLabels(bad_utf8, limits).message(), HasSubstr("not valid UTF-8"));
}

TEST(CheckLine, RefusesOrTruncatesLongLines) {
  IngestLimits limits;
  limits.max_line_bytes = 4;
  std::string_view line = "123456";
  EXPECT_EQ(
      CheckLine(line, Labels{{"a", "b"}}, limits).message(),
      "Max entry size '4' bytes exceeded for stream '{a=\"b\"}' while adding an entry with length "
      "'6' bytes (limits.max_line_bytes)");
  limits.truncate_lines = true;
  ASSERT_TRUE(CheckLine(line, {}, limits).ok());
  EXPECT_EQ(line, "1234");
  limits.max_line_bytes = 0;
  std::string_view unlimited(std::string(1 << 20, 'x'));
  EXPECT_TRUE(CheckLine(unlimited, {}, limits).ok());
}

TEST(FieldMapping, ListsPatternsAndExtraFields) {
  EXPECT_EQ(SplitFieldList(" a, b,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(FieldMatches({"log.*", "host"}, "log.file.path"));
  EXPECT_TRUE(FieldMatches({"log.*", "host"}, "host"));
  EXPECT_FALSE(FieldMatches({"log.*", "host"}, "hostname"));
  auto extra = ParseExtraFields("env=prod, team=a=b");
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->size(), 2u);
  EXPECT_EQ((*extra)[1].second, "a=b");
  EXPECT_THAT(ParseExtraFields("env").status().message(), HasSubstr("not of the form name=value"));
  EXPECT_EQ(SanitizeLabelName("log.file.path"), "log_file_path");
  EXPECT_EQ(SanitizeLabelName("9lives"), "_9lives");
  EXPECT_EQ(SanitizeLabelName("@timestamp"), "_timestamp");
}

}  // namespace
}  // namespace sluice::pipeline
