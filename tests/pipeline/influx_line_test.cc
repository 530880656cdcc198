// Influx line protocol (DecodeInfluxLines), and what every metrics decoder shares: series
// validation (pipeline/metric_validation.h) and MetricBatch (storage/metric_batch.h).
#include "pipeline/decoders/influx_line.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "pipeline/metric_validation.h"
#include "storage/metric_batch.h"
#include "tests/pipeline/metric_test_util.h"

namespace sluice::pipeline {
namespace {

using testing::DecodedSample;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

class InfluxLineTest : public ::testing::Test {
 protected:
  Status Decode(std::string_view body) {
    // Unpadded on purpose: the parser must not read past the body.
    std::vector<char> exact(body.begin(), body.end());
    return DecodeInfluxLines(std::string_view(exact.data(), exact.size()), options_,
                             MetricDecodeContext{kNowMs, &limits_, nullptr}, &batch_, &result_);
  }
  std::vector<DecodedSample> DecodeOk(std::string_view body) {
    batch_.Clear();
    result_ = {};
    Status s = Decode(body);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(result_.rejected_series, 0) << result_.first_error;
    return testing::DecodedSamples(batch_);
  }
  // The rejection message of a body holding exactly one bad line.
  std::string Rejection(std::string_view body) {
    batch_.Clear();
    result_ = {};
    EXPECT_TRUE(Decode(body).ok());
    EXPECT_EQ(result_.rejected_series, 1) << body;
    return result_.first_error;
  }

  static constexpr int64_t kNowMs = 1'700'000'123'456;
  InfluxOptions options_;
  MetricLimits limits_;
  storage::MetricBatch batch_{"tenant"};
  MetricDecodeResult result_;
};

TEST_F(InfluxLineTest, EveryValueType) {
  auto samples = DecodeOk(
      "m f=1.5,neg=-2,exp=1e3,nexp=-1.5E-3,dot=.5,trail=5.,plus=+3,i=-3i,big=9223372036854775807i,"
      "u=18446744073709551615u,t1=t,t2=T,t3=true,t4=True,t5=TRUE,f1=f,f2=F,f3=false,f4=False,"
      "f5=FALSE,s=\"a string\" 1700000000000000000");
  std::map<std::string, double> by_name;
  for (const DecodedSample& s : samples) {
    EXPECT_EQ(s.ts, 1700000000000);
    by_name[s.labels] = s.value;
  }
  EXPECT_EQ(by_name.size(), 20u) << "the string field is skipped";
  EXPECT_EQ(by_name.at(R"({__name__="m_f"})"), 1.5);
  EXPECT_EQ(by_name.at(R"({__name__="m_neg"})"), -2);
  EXPECT_EQ(by_name.at(R"({__name__="m_exp"})"), 1000);
  EXPECT_EQ(by_name.at(R"({__name__="m_nexp"})"), -1.5e-3);
  EXPECT_EQ(by_name.at(R"({__name__="m_dot"})"), 0.5);
  EXPECT_EQ(by_name.at(R"({__name__="m_trail"})"), 5);
  EXPECT_EQ(by_name.at(R"({__name__="m_plus"})"), 3);
  EXPECT_EQ(by_name.at(R"({__name__="m_i"})"), -3);
  EXPECT_EQ(by_name.at(R"({__name__="m_big"})"), 9223372036854775807.0);
  EXPECT_EQ(by_name.at(R"({__name__="m_u"})"), 18446744073709551615.0);
  for (const char* t : {"t1", "t2", "t3", "t4", "t5"}) {
    EXPECT_EQ(by_name.at(fmt::format(R"({{__name__="m_{}"}})", t)), 1) << t;
  }
  for (const char* f : {"f1", "f2", "f3", "f4", "f5"}) {
    EXPECT_EQ(by_name.at(fmt::format(R"({{__name__="m_{}"}})", f)), 0) << f;
  }
}

TEST_F(InfluxLineTest, EscapesInNamesTagsAndStrings) {
  auto samples =
      DecodeOk(R"(my\ meas\,ure,tag\ key=a\ b\,c\=d,eq=x=y,back=x\\y,other=\q my\ fi\=eld=1,)"
               R"(s="has \"quotes\", commas, spaces and \\",t="=,\\",last=2)");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].labels,
            R"({__name__="my_meas_ure_my_fi_eld", back="x\\y", eq="x=y", other="\\q", )"
            R"(tag_key="a b,c=d"})");
  EXPECT_EQ(samples[0].value, 1);
  EXPECT_EQ(samples[1].labels,
            R"({__name__="my_meas_ure_last", back="x\\y", eq="x=y", other="\\q", )"
            R"(tag_key="a b,c=d"})");
  EXPECT_EQ(samples[1].value, 2);
  EXPECT_EQ(samples[1].ts, kNowMs);
}

TEST_F(InfluxLineTest, PrecisionVariants) {
  struct Case {
    std::string_view precision;
    std::string_view ts;
    int64_t want_ms;
  };
  const Case cases[] = {
      {"ns", "1700000000123456789", 1700000000123},
      {"n", "1700000000123456789", 1700000000123},
      {"us", "1700000000123456", 1700000000123},
      {"u", "1700000000123456", 1700000000123},
      {"\u00b5", "1700000000123456", 1700000000123},
      {"ms", "1700000000123", 1700000000123},
      {"s", "1700000000", 1700000000000},
      {"m", "28333333", 1699999980000},
      {"h", "472222", 1699999200000},
      {"ns", "-1000000", -1},
      {"s", "-5", -5000},
      // No precision given: guessed from the magnitude, as VictoriaMetrics does.
      {"", "1700000000123456789", 1700000000123},
      {"", "1700000000123456", 1700000000123},
      {"", "1700000000123", 1700000000123},
      {"", "1700000000", 1700000000000},
  };
  for (const Case& c : cases) {
    options_.precision = c.precision;
    auto samples = DecodeOk(fmt::format("cpu value=1 {}", c.ts));
    ASSERT_EQ(samples.size(), 1u) << c.precision;
    EXPECT_EQ(samples[0].ts, c.want_ms) << c.precision << " " << c.ts;
  }
}

TEST_F(InfluxLineTest, MissingTimestampIsNowTruncatedToThePrecision) {
  for (auto [precision, want] :
       std::vector<std::pair<std::string_view, int64_t>>{{"ns", kNowMs},
                                                         {"ms", kNowMs},
                                                         {"", kNowMs},
                                                         {"s", kNowMs - kNowMs % 1000},
                                                         {"m", kNowMs - kNowMs % 60000},
                                                         {"h", kNowMs - kNowMs % 3600000}}) {
    options_.precision = precision;
    auto samples = DecodeOk("cpu value=1\ncpu value=2   \ncpu value=3 0");
    ASSERT_EQ(samples.size(), 3u);
    for (const DecodedSample& s : samples) EXPECT_EQ(s.ts, want) << precision;
  }
}

TEST_F(InfluxLineTest, UnknownPrecisionIsAnError) {
  options_.precision = "sec";
  Status s = Decode("cpu value=1");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown precision 'sec' (expected ns, us, ms, s, m or h)");
  EXPECT_TRUE(batch_.empty());
}

TEST_F(InfluxLineTest, MultipleFieldsShareLabelsWhichAreCanonical) {
  auto samples =
      DecodeOk("disk,path=/,device=sda1,Zone=eu free=10i,used=20i,a:b=3 1700000000000000000");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].labels, R"({Zone="eu", __name__="disk_free", device="sda1", path="/"})")
      << "sorted by name, bytewise";
  EXPECT_EQ(samples[1].labels, R"({Zone="eu", __name__="disk_used", device="sda1", path="/"})");
  EXPECT_EQ(samples[2].labels, R"({Zone="eu", __name__="disk_a:b", device="sda1", path="/"})")
      << "':' is valid in a metric name";
  EXPECT_EQ(batch_.series().size(), 3u);
  for (uint32_t s = 0; s < 3; ++s) {
    EXPECT_EQ(batch_.series()[s].fingerprint,
              storage::SeriesFingerprint("tenant", batch_.SeriesKey(s)));
  }
  // The same series again (tags in another order) is found, not added.
  DecodeOk("");
  ASSERT_TRUE(Decode("disk,path=/,device=sda1,Zone=eu free=10i\n"
                     "disk,Zone=eu,device=sda1,path=/ free=11i")
                  .ok());
  EXPECT_EQ(batch_.series().size(), 1u);
  EXPECT_EQ(batch_.samples().size(), 2u);
}

TEST_F(InfluxLineTest, NamesAndTagKeysAreSanitized) {
  auto samples = DecodeOk("cpu.load,host.name=a,9zone=b,k:v=c,\xc3\xa9t\xc3\xa9=d avg-1m=1");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels,
            R"({_9zone="b", __name__="cpu_load_avg_1m", __t__="d", host_name="a", k_v="c"})");
}

TEST_F(InfluxLineTest, EmptyMeasurementEmptyTagsAndSkipSingleField) {
  auto samples = DecodeOk(",host=a,empty=,=novalue temp=1");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels, R"({__name__="temp", host="a"})")
      << "no measurement: the field alone; empty tag keys or values are dropped";
  options_.skip_single_field = true;
  samples = DecodeOk("temp,host=a value=1\ntemp,host=a in=2,out=3\ntemp,host=a v=4,s=\"x\"");
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[0].labels, R"({__name__="temp", host="a"})");
  EXPECT_EQ(samples[1].labels, R"({__name__="temp_in", host="a"})");
  EXPECT_EQ(samples[2].labels, R"({__name__="temp_out", host="a"})");
  EXPECT_EQ(samples[3].labels, R"({__name__="temp_v", host="a"})")
      << "a string field counts as a field, as in VictoriaMetrics";
}

TEST_F(InfluxLineTest, FieldNamedValueKeepsTheSuffixAsVictoriaMetricsDoes) {
  auto samples = DecodeOk("temperature,room=kitchen value=21.5");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels, R"({__name__="temperature_value", room="kitchen"})");
}

TEST_F(InfluxLineTest, DbLabel) {
  options_.db = "telegraf";
  auto samples = DecodeOk("cpu,host=a usage=1\ncpu,host=a,db=own usage=2");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].labels, R"({__name__="cpu_usage", db="telegraf", host="a"})");
  EXPECT_EQ(samples[1].labels, R"({__name__="cpu_usage", db="own", host="a"})")
      << "a db tag wins over the db parameter";
}

TEST_F(InfluxLineTest, CommentsBlankLinesAndCrlf) {
  auto samples = DecodeOk(
      "# a comment\r\n\r\n   \n  cpu value=1 1700000000000000000\r\n\t# indented comment\n"
      "cpu value=2 1700000001000000000\r\n");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0], (DecodedSample{R"({__name__="cpu_value"})", 1700000000000, 1}));
  EXPECT_EQ(samples[1], (DecodedSample{R"({__name__="cpu_value"})", 1700000001000, 2}));
}

TEST_F(InfluxLineTest, BadLinesAreReportedWithTheirNumberAndGoodLinesKept) {
  struct Case {
    std::string line;
    std::string message;  // after "line 3: "
  };
  const std::vector<Case> cases = {
      {"cpu", "no fields"},
      {"cpu,host=a", "no fields"},
      {"cpu,host=a   ", "no fields"},
      {"cpu,host value=1", "tag 'host' has no '=value'"},
      {"cpu value", "field 'value' has no '=value'"},
      {"cpu a=1,b", "field 'b' has no '=value'"},
      {"cpu a=1,", "field '' has no '=value'"},
      {"cpu =1", "a field has an empty name"},
      {"cpu value=", "field 'value' has an invalid value ''"},
      {"cpu value=abc", "field 'value' has an invalid value 'abc'"},
      {"cpu value=1.2.3", "field 'value' has an invalid value '1.2.3'"},
      {"cpu value=1e", "field 'value' has an invalid value '1e'"},
      {"cpu value=NaN", "field 'value' has an invalid value 'NaN'"},
      {"cpu value=-inf", "field 'value' has an invalid value '-inf'"},
      {"cpu value=1e999", "field 'value' has an invalid value '1e999'"},
      {"cpu value=1.5i", "field 'value' has an invalid value '1.5i'"},
      {"cpu value=9223372036854775808i",
       "field 'value' has an invalid value '9223372036854775808i'"},
      {"cpu value=-1u", "field 'value' has an invalid value '-1u'"},
      {"cpu value=yes", "field 'value' has an invalid value 'yes'"},
      {"cpu a=1,value=\"unterminated", "the string value of field 'value' has no closing quote"},
      {"cpu value=\"ends with escaped quote\\\"",
       "the string value of field 'value' has no closing quote"},
      {"cpu value=\"x\"y", "unexpected 'y' after the value of field 'value'"},
      {"cpu value=1 12ab", "invalid timestamp '12ab' (expected an integer)"},
      {"cpu value=1 1.5", "invalid timestamp '1.5' (expected an integer)"},
      {"cpu value=1 1 2", "invalid timestamp '1 2' (expected an integer)"},
      {"cpu value=1 99999999999999999999", "invalid timestamp '99999999999999999999'"},
      {"cpu,name=\xff value=1", "series 'cpu_value' has a value of label 'name' that is not valid"},
      {"cpu,a.b=1,a_b=2 value=1", "series 'cpu_value' has duplicate label name 'a_b'"},
  };
  options_.precision = "ns";
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    std::string message = Rejection("good value=1\n# comment\n" + c.line + "\ngood value=2");
    EXPECT_THAT(message, StartsWith("line 3: " + c.message));
    EXPECT_EQ(batch_.samples().size(), 2u) << "the good lines are kept";
  }
  EXPECT_THAT(Rejection("cpu,__name__=x value=1"),
              HasSubstr("has duplicate label name '__name__'"));
  options_.precision = "h";
  EXPECT_EQ(Rejection("cpu value=1 9223372036854775"),
            "line 1: timestamp 9223372036854775 is out of range");
  options_.precision = "";  // guessed from the magnitude: a very negative one is taken as seconds
  EXPECT_EQ(Rejection("cpu value=1 -223372036854775807"),
            "line 1: timestamp -223372036854775807 is out of range");
}

TEST_F(InfluxLineTest, RejectionCountsTheLinesSamples) {
  limits_.max_labels_per_series = 2;
  EXPECT_TRUE(Decode("cpu,a=1,b=2 x=1,y=2,z=3\ncpu,a=1 x=1,y=2\ncpu x=1,y=oops,z=3").ok());
  EXPECT_EQ(result_.rejected_series, 3 + 1) << "each of line 1's series, and line 3";
  EXPECT_EQ(result_.rejected_samples, 3 + 1) << "a parse error counts the fields read before it";
  EXPECT_EQ(result_.first_error,
            "line 1: series 'cpu_x' has 3 labels; limit 2 (limits.max_labels_per_series)");
  EXPECT_EQ(batch_.samples().size(), 2u);
}

TEST_F(InfluxLineTest, OnlyTheFieldWhoseNameIsTooLongIsRejected) {
  limits_.max_label_value_length = 10;
  EXPECT_TRUE(Decode("cpu,host=a x=1,much_too_long=2,y=3").ok());
  EXPECT_EQ(result_.rejected_series, 1);
  EXPECT_EQ(result_.rejected_samples, 1);
  EXPECT_THAT(result_.first_error,
              StartsWith("line 1: series 'cpu_much_too_long' has label value too long for "
                         "'__name__' (17 bytes; limits.max_label_value_length 10)"));
  auto samples = testing::DecodedSamples(batch_);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].labels, R"({__name__="cpu_x", host="a"})");
  EXPECT_EQ(samples[1].labels, R"({__name__="cpu_y", host="a"})");
}

TEST_F(InfluxLineTest, StringFieldsOnlyLineAddsNothing) {
  EXPECT_TRUE(DecodeOk("syslog,host=a message=\"hello, world\",severity=\"info\"").empty());
}

// What Telegraf's influxdb output sends for its default inputs.
TEST_F(InfluxLineTest, TelegrafBody) {
  options_.db = "telegraf";
  const std::string body =
      "cpu,cpu=cpu0,host=web-1 usage_user=1.5030060120240483,usage_system=0.601202404809619,"
      "usage_idle=97.49498997995992,usage_iowait=0,usage_guest=0 1700000000000000000\n"
      "cpu,cpu=cpu-total,host=web-1 usage_user=1.25,usage_system=0.5,usage_idle=98,"
      "usage_iowait=0.25,usage_guest=0 1700000000000000000\n"
      "mem,host=web-1 active=1836347392i,available=6178623488i,available_percent=75.4,"
      "buffered=288100352i,total=8193859584i,used=1701576704i,used_percent=20.766 "
      "1700000000000000000\n"
      "disk,device=sda1,fstype=ext4,host=web-1,mode=rw,path=/ free=41487384576i,"
      "inodes_free=5170291i,inodes_total=6422528i,inodes_used=1252237i,total=63278391296i,"
      "used=18558734336i,used_percent=30.906 1700000000000000000\n"
      "net,host=web-1,interface=eth0 bytes_recv=123456789u,bytes_sent=98765432u,drop_in=0u,"
      "err_in=0u,packets_recv=654321u,packets_sent=123456u 1700000000000000000\n"
      "system,host=web-1 load1=0.25,load5=0.5,load15=0.75,n_cpus=4i,n_users=2i,"
      "uptime_format=\" 1 day,  2:03\" 1700000000000000000\n";
  auto samples = DecodeOk(body);
  EXPECT_EQ(samples.size(), 5u + 5u + 7u + 7u + 6u + 5u);
  EXPECT_EQ(batch_.series().size(), samples.size());
  std::map<std::string, double> by_labels;
  for (const DecodedSample& s : samples) {
    EXPECT_EQ(s.ts, 1700000000000);
    by_labels[s.labels] = s.value;
  }
  EXPECT_EQ(by_labels.at(R"({__name__="cpu_usage_idle", cpu="cpu0", db="telegraf", host="web-1"})"),
            97.49498997995992);
  EXPECT_EQ(by_labels.at(R"({__name__="mem_total", db="telegraf", host="web-1"})"), 8193859584.0);
  EXPECT_EQ(by_labels.at(R"({__name__="disk_used_percent", db="telegraf", device="sda1", )"
                         R"(fstype="ext4", host="web-1", mode="rw", path="/"})"),
            30.906);
  EXPECT_EQ(by_labels.at(R"({__name__="net_bytes_recv", db="telegraf", host="web-1", )"
                         R"(interface="eth0"})"),
            123456789);
  EXPECT_EQ(by_labels.at(R"({__name__="system_load15", db="telegraf", host="web-1"})"), 0.75);
  EXPECT_EQ(by_labels.count(R"({__name__="system_uptime_format", db="telegraf", host="web-1"})"),
            0u);
}

// ---------------------------------------------------------------------------------------------
// Series validation shared by the metrics decoders.

using storage::LabelView;

TEST(MetricValidation, SortsAndDropsEmptyValues) {
  std::vector<LabelView> labels = {
      {"job", "api"}, {"__name__", "up"}, {"empty", ""}, {"Zone", "z"}, {"instance", "h:1"}};
  ASSERT_TRUE(ValidateSeriesLabels(labels, MetricLimits{}).ok());
  EXPECT_THAT(labels, ElementsAre(LabelView{"Zone", "z"}, LabelView{"__name__", "up"},
                                  LabelView{"instance", "h:1"}, LabelView{"job", "api"}));
}

TEST(MetricValidation, RejectsWithMessagesNamingSeriesAndLabel) {
  MetricLimits limits;
  limits.max_labels_per_series = 3;
  limits.max_label_name_length = 8;
  limits.max_label_value_length = 5;
  auto check = [&](std::vector<LabelView> labels) {
    return ValidateSeriesLabels(labels, limits).message();
  };
  EXPECT_EQ(check({{"job", "x"}}), "series has no metric name (__name__ label)");
  EXPECT_EQ(check({{"__name__", ""}, {"job", "x"}}), "series has no metric name (__name__ label)");
  EXPECT_EQ(check({{"__name__", "1up"}}),
            "invalid metric name '1up' (metric names match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  EXPECT_EQ(check({{"__name__", "up"}, {"a", "1"}, {"b", "2"}, {"c", "3"}}),
            "series 'up' has 4 labels; limit 3 (limits.max_labels_per_series)");
  EXPECT_EQ(check({{"__name__", "up"}, {"a:b", "1"}}),
            "series 'up' has invalid label name 'a:b' (label names match [a-zA-Z_][a-zA-Z0-9_]*)");
  EXPECT_EQ(check({{"__name__", "up"}, {"1a", "1"}}),
            "series 'up' has invalid label name '1a' (label names match [a-zA-Z_][a-zA-Z0-9_]*)");
  EXPECT_EQ(check({{"__name__", "up"}, {"long_name", "1"}}),
            "series 'up' has label name too long: 'long_name' (limits.max_label_name_length 8)");
  EXPECT_EQ(check({{"__name__", "up"}, {"v", "123456"}}),
            "series 'up' has label value too long for 'v' (6 bytes; "
            "limits.max_label_value_length 5)");
  EXPECT_EQ(check({{"__name__", "up"}, {"v", "a\xff"}}),
            "series 'up' has a value of label 'v' that is not valid UTF-8");
  EXPECT_EQ(check({{"__name__", "up"}, {"a", "1"}, {"a", "2"}}),
            "series 'up' has duplicate label name 'a'");
  std::vector<LabelView> ok = {{"__name__", "a:b_1"}, {"_x", "\xc3\xa9"}};
  EXPECT_TRUE(ValidateSeriesLabels(ok, limits).ok());
}

TEST(MetricValidation, MetricNames) {
  for (std::string_view good : {"up", "a:b", ":x", "_", "A_1:b2", "__name__"}) {
    EXPECT_TRUE(IsValidMetricName(good)) << good;
  }
  for (std::string_view bad : {"", "1a", "a-b", "a.b", "a b", "\xc3\xa9"}) {
    EXPECT_FALSE(IsValidMetricName(bad)) << bad;
  }
  EXPECT_EQ(SanitizeMetricName("cpu.load-avg"), "cpu_load_avg");
  EXPECT_EQ(SanitizeMetricName("9lives"), "_9lives");
  EXPECT_EQ(SanitizeMetricName("a:b"), "a:b");
  EXPECT_EQ(SanitizeMetricName("\xc3\xa9t\xc3\xa9"), "__t__") << "one '_' per byte";
  EXPECT_EQ(SanitizeMetricName(""), "_");
  for (std::string_view s : {"x y", "0", "::", "a\nb", "\xff"}) {
    EXPECT_TRUE(IsValidMetricName(SanitizeMetricName(s))) << s;
  }
}

TEST(MetricValidation, DecodeResultKeepsTheFirstError) {
  MetricDecodeResult r;
  r.Reject("first", 3);
  r.Reject("second", 2);
  EXPECT_EQ(r.rejected_series, 2);
  EXPECT_EQ(r.rejected_samples, 5);
  EXPECT_EQ(r.first_error, "first");
}

// ---------------------------------------------------------------------------------------------
// MetricBatch.

TEST(MetricBatch, AddSeriesFindsIdenticalSeries) {
  storage::MetricBatch batch("t1");
  std::vector<LabelView> a = {{"__name__", "up"}, {"job", "x"}};
  std::vector<LabelView> b = {{"__name__", "up"}, {"job", "y"}};
  std::vector<LabelView> prefix = {{"__name__", "up"}};
  std::string owned_name = "__name__", owned_job = "job", owned_x = "x";
  std::vector<LabelView> a_elsewhere = {{owned_name, "up"}, {owned_job, owned_x}};
  EXPECT_EQ(batch.AddSeries(a), 0u);
  EXPECT_EQ(batch.AddSeries(b), 1u);
  EXPECT_EQ(batch.AddSeries(prefix), 2u);
  EXPECT_EQ(batch.AddSeries(a_elsewhere), 0u) << "compared by content, not address";
  EXPECT_EQ(batch.AddSeries(b), 1u);
  // Same bytes, split differently between name and value.
  std::vector<LabelView> shifted = {{"__name__", "up"}, {"jo", "bx"}};
  EXPECT_EQ(batch.AddSeries(shifted), 3u);
  EXPECT_EQ(batch.series().size(), 4u);
}

TEST(MetricBatch, SeriesLabelsStayCorrectAsTheBatchGrows) {
  storage::MetricBatch batch("t");
  std::vector<std::string> values;
  for (int i = 0; i < 1000; ++i) values.push_back(std::string(i % 50, 'v') + std::to_string(i));
  for (int i = 0; i < 1000; ++i) {
    std::vector<LabelView> labels = {{"__name__", "m"}, {"i", values[i]}};
    ASSERT_EQ(batch.AddSeries(labels), static_cast<uint32_t>(i));
    if (i % 100 == 0) {
      // Interleaved reads refresh the views; later additions must not leave them stale.
      EXPECT_THAT(batch.SeriesLabels(i),
                  ElementsAre(LabelView{"__name__", "m"}, LabelView{"i", values[i]}));
    }
  }
  for (int i = 0; i < 1000; ++i) {
    EXPECT_THAT(batch.SeriesLabels(i),
                ElementsAre(LabelView{"__name__", "m"}, LabelView{"i", values[i]}));
  }
  EXPECT_EQ(batch.SeriesLabelsCopy(7), (storage::Labels{{"__name__", "m"}, {"i", values[7]}}));
}

TEST(MetricBatch, AddSeriesAcceptsLabelsViewingTheBatchItself) {
  storage::MetricBatch batch("t");
  // Above glibc's largest mmap threshold (32 MiB): growing the arena moves it and unmaps the old
  // block, so reading a view of the old one would fault even without a sanitizer.
  std::string big(33 << 20, 'x');
  std::vector<LabelView> first = {{"__name__", "m"}, {"big", big}};
  batch.AddSeries(first);
  std::span<const LabelView> stored = batch.SeriesLabels(0);
  // A new series made of the stored one's labels plus one more.
  std::vector<LabelView> derived(stored.begin(), stored.end());
  derived.push_back(LabelView{"extra", "1"});
  ASSERT_EQ(batch.AddSeries(derived), 1u);
  auto labels = batch.SeriesLabelsCopy(1);
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0], (storage::Label{"__name__", "m"}));
  EXPECT_TRUE(labels[1].name == "big" && labels[1].value == big);
  EXPECT_EQ(labels[2], (storage::Label{"extra", "1"}));
}

TEST(MetricBatch, FingerprintIsTheSeriesKeysHash) {
  storage::MetricBatch batch("tenant-a");
  storage::Labels labels = {{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}};
  std::vector<LabelView> views;
  for (const storage::Label& l : labels) views.push_back({l.name, l.value});
  uint32_t s = batch.AddSeries(views);
  std::string key;
  storage::AppendSeriesKey(views, &key);
  EXPECT_EQ(batch.SeriesKey(s), key);
  EXPECT_EQ(key,
            "__name__\xffhttp_requests_total\xff"
            "code\xff"
            "200\xffjob\xff"
            "api\xff");
  EXPECT_EQ(batch.series()[s].fingerprint, storage::SeriesFingerprint("tenant-a", key));
  EXPECT_NE(storage::SeriesFingerprint("tenant-b", key),
            storage::SeriesFingerprint("tenant-a", key));
  storage::Labels parsed;
  ASSERT_TRUE(storage::ParseSeriesKey(key, &parsed));
  EXPECT_EQ(parsed, labels);
  EXPECT_FALSE(storage::ParseSeriesKey("name\xffvalue", &parsed));
  // A different tenant's batch puts the same labels in another series identity.
  storage::MetricBatch other("tenant-b");
  other.AddSeries(views);
  EXPECT_NE(other.series()[0].fingerprint, batch.series()[s].fingerprint);
}

TEST(MetricBatch, ClearEmptiesEverythingButTheTenant) {
  storage::MetricBatch batch("t");
  std::vector<LabelView> a = {{"__name__", "a"}};
  std::vector<LabelView> b = {{"__name__", "b"}};
  batch.AddSample(batch.AddSeries(a), 1, 1.0);
  batch.AddSample(batch.AddSeries(b), 2, 2.0);
  batch.AddMetadata({"a", storage::MetricType::kCounter, "help", ""});
  EXPECT_FALSE(batch.empty());
  (void)batch.SeriesLabels(1);
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_TRUE(batch.series().empty());
  EXPECT_TRUE(batch.samples().empty());
  EXPECT_TRUE(batch.metadata().empty());
  EXPECT_EQ(batch.tenant(), "t");
  EXPECT_EQ(batch.AddSeries(b), 0u) << "no series is remembered across Clear";
  EXPECT_THAT(batch.SeriesLabels(0), ElementsAre(LabelView{"__name__", "b"}));
  EXPECT_EQ(batch.AddSeries(a), 1u);
}

TEST(MetricBatch, StaleNaN) {
  EXPECT_TRUE(storage::IsStaleNaN(storage::StaleNaN()));
  EXPECT_TRUE(std::isnan(storage::StaleNaN()));
  EXPECT_FALSE(storage::IsStaleNaN(std::nan("")));
  EXPECT_FALSE(storage::IsStaleNaN(0));
}

}  // namespace
}  // namespace sluice::pipeline
