// Metrics ingest end to end against the real daemon: what goes in through VictoriaMetrics' JSON
// import, Prometheus remote write and Influx line protocol comes back out of /api/v1/export with
// its exact values, per tenant, across a seal (force_flush), a clean restart and kill -9.
//
// Every value is compared by its bits (a decoded export must be bit-identical to what was
// written), except that every non-stale NaN is one value: JSON has no NaN payloads to carry.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "pipeline/decoders/remote_write.h"
#include "storage/metric_batch.h"
#include "tests/support/compress.h"
#include "tests/support/metrics_export.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::KeyText;
using testing::kPlainNaNBits;
using testing::kStaleBits;
using testing::ParsedExport;
using testing::ParseExport;
using testing::SeriesKey;
using testing::SeriesSamples;
using testing::Subprocess;
using testing::TestResponse;
using testing::UrlEncode;
using testing::ValueBits;
using testing::ValueText;
using Headers = std::vector<std::pair<std::string, std::string>>;
using TenantData = testing::SeriesData;  // one tenant's series

constexpr int64_t kBaseMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// "" when equal, else up to `limit` differences, one a line.
std::string Diff(const TenantData& want, const TenantData& got, size_t limit = 12) {
  std::vector<std::string> diffs;
  size_t count = 0;
  auto add = [&](std::string d) {
    if (++count <= limit) diffs.push_back(std::move(d));
  };
  for (const auto& [key, samples] : want) {
    auto it = got.find(key);
    if (it == got.end()) {
      add(fmt::format("missing series {} ({} samples)", KeyText(key), samples.size()));
      continue;
    }
    for (const auto& [ts, bits] : samples) {
      auto s = it->second.find(ts);
      if (s == it->second.end()) {
        add(fmt::format("{} @{}: missing (want {})", KeyText(key), ts, ValueText(bits)));
      } else if (s->second != bits) {
        add(fmt::format("{} @{}: got {} want {}", KeyText(key), ts, ValueText(s->second),
                        ValueText(bits)));
      }
    }
    for (const auto& [ts, bits] : it->second) {
      if (samples.count(ts) == 0) {
        add(fmt::format("{} @{}: unexpected sample {}", KeyText(key), ts, ValueText(bits)));
      }
    }
  }
  for (const auto& [key, samples] : got) {
    if (want.count(key) == 0) {
      add(fmt::format("unexpected series {} ({} samples)", KeyText(key), samples.size()));
    }
  }
  if (count == 0) return "";
  std::string out = fmt::format("{} differences:\n", count);
  for (const std::string& d : diffs) out += "  " + d + "\n";
  return out;
}

::testing::AssertionResult SameData(const TenantData& want, const TenantData& got) {
  std::string diff = Diff(want, got);
  if (diff.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << diff;
}

size_t SampleCount(const TenantData& data) {
  size_t n = 0;
  for (const auto& [key, samples] : data) n += samples.size();
  return n;
}

Headers TenantHeader(const std::string& tenant) {
  if (tenant.empty()) return {};
  return {{"X-Scope-OrgID", tenant}};
}

class MetricsIngestTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) std::cerr << "daemon stderr (tail):\n" << StderrTail() << "\n";
  }

  // Starts sluice on the test's data dir, which survives restarts.
  void StartDaemon() {
    log_ = dir_.Sub(fmt::format("daemon-{}.err", generation_++));
    daemon_ =
        testing::StartSluice(SLUICE_BINARY, dir_.Sub("data"), dir_.Sub("daemon.out"), log_, &port_);
    ASSERT_GT(port_, 0) << "sluice did not start:\n" << StderrTail();
  }

  void StopDaemon() {
    daemon_->Signal(SIGTERM);
    std::optional<int> code = daemon_->Wait(30s);
    ASSERT_TRUE(code.has_value()) << "sluice did not stop within 30 s of SIGTERM";
    EXPECT_EQ(*code, 0) << StderrTail();
  }

  void KillDaemon() {
    daemon_->Signal(SIGKILL);
    ASSERT_TRUE(daemon_->Wait(10s).has_value());
  }

  void RestartDaemon() {
    ASSERT_NO_FATAL_FAILURE(StopDaemon());
    ASSERT_NO_FATAL_FAILURE(StartDaemon());
  }

  std::string StderrTail() const { return testing::ReadFileTail(log_); }

  std::optional<TestResponse> Request(std::string_view method, std::string_view target,
                                      std::string_view body = {}, const Headers& headers = {}) {
    return testing::HttpRequestOnce(port_, method, target, body, headers);
  }

  // POSTs and expects `status`; the response on success.
  TestResponse Post(const std::string& target, std::string_view body, const Headers& headers,
                    int status = 204) {
    std::optional<TestResponse> r = Request("POST", target, body, headers);
    if (!r) {
      ADD_FAILURE() << "POST " << target << ": no response";
      return {};
    }
    EXPECT_EQ(r->status, status) << "POST " << target << ": " << r->body;
    return *r;
  }

  void ForceFlush() {
    std::optional<TestResponse> r = Request("POST", "/internal/force_flush");
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->status, 200) << r->body;
  }

  // GET /api/v1/export with every selector; `extra` is appended to the query as is.
  ParsedExport Export(const std::string& tenant, const std::vector<std::string>& selectors,
                      const std::string& extra = "") {
    std::string target = "/api/v1/export?";
    for (const std::string& s : selectors) target += "match%5B%5D=" + UrlEncode(s) + "&";
    target += extra;
    std::optional<TestResponse> r = Request("GET", target, {}, TenantHeader(tenant));
    ParsedExport out;
    if (!r) {
      out.error = "GET " + target + ": no response";
    } else if (r->status != 200) {
      out.error = fmt::format("GET {}: {} {}", target, r->status, r->body);
    } else {
      out = ParseExport(r->body);
    }
    return out;
  }

  ParsedExport ExportAll(const std::string& tenant) {
    return Export(tenant, {R"({__name__=~".+"})"});
  }

  // Every tenant's export equals the model (and nothing else is there).
  void ExpectStored(const std::map<std::string, TenantData>& want, const std::string& when) {
    for (const auto& [tenant, data] : want) {
      ParsedExport got = ExportAll(tenant);
      ASSERT_EQ(got.error, "") << when;
      EXPECT_TRUE(SameData(data, got.data))
          << when << ", tenant \"" << tenant << "\" (" << data.size() << " series, "
          << SampleCount(data) << " samples expected)";
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> daemon_;
  std::string log_;
  int generation_ = 0;
  uint16_t port_ = 0;
};

// ---- VictoriaMetrics JSON import ------------------------------------------------------------

// A value and how the import line spells it.
struct ImportValue {
  uint64_t bits;
  std::string json;
};

ImportValue RandomImportValue(std::mt19937_64& rng, int64_t counter) {
  static const double kLarge[] = {9007199254740992.0,
                                  18446744073709551616.0,
                                  1e20,
                                  123456789012345678e3,
                                  -9.223372036854775808e18,
                                  1e300,
                                  1.7976931348623157e308,
                                  -1e22,
                                  4503599627370497.0};
  static const double kSmall[] = {
      5e-324, 2.2250738585072014e-308, 1e-7,    0.1,   0.30000000000000004, -0.0,
      0.0,    3.141592653589793,       -2.5e-5, 100.25};
  static const char* kNaN[] = {"\"NaN\"", "\"nan\""};
  static const char* kInf[] = {"\"Inf\"", "\"inf\"", "\"Infinity\"", "\"infinity\""};
  auto number = [](double v) { return ImportValue{ValueBits(v), fmt::format("{}", v)}; };
  switch (rng() % 20) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:  // decimals with a few digits
      return number(static_cast<double>(static_cast<int64_t>(rng() % 2'000'001) - 1'000'000) /
                    1000.0);
    case 7:
    case 8:
    case 9:  // a counter
      return number(static_cast<double>(counter));
    case 10:
    case 11:
      return number(kLarge[rng() % std::size(kLarge)]);
    case 12:
    case 13:
      return number(kSmall[rng() % std::size(kSmall)]);
    case 14:
    case 15: {  // full 17-digit precision
      std::uniform_real_distribution<double> d(-1e6, 1e6);
      return number(d(rng));
    }
    case 16:
      return {kPlainNaNBits, kNaN[rng() % std::size(kNaN)]};
    case 17: {
      bool negative = rng() % 2 == 0;
      double inf = std::numeric_limits<double>::infinity();
      return {ValueBits(negative ? -inf : inf),
              std::string(negative ? "\"-" : "\"") + (kInf[rng() % std::size(kInf)] + 1)};
    }
    default:
      return {kStaleBits, "null"};
  }
}

// One import line: a series and samples in the order written (duplicates possible).
struct ImportLine {
  SeriesKey labels;    // as the model stores it
  std::string metric;  // the "metric" object as sent
  std::vector<std::pair<int64_t, ImportValue>> samples;

  std::string Json() const {
    std::string values, timestamps;
    for (const auto& [ts, v] : samples) {
      if (!values.empty()) {
        values += ",";
        timestamps += ",";
      }
      values += v.json;
      timestamps += std::to_string(ts);
    }
    return fmt::format(R"({{"metric":{},"values":[{}],"timestamps":[{}]}})", metric, values,
                       timestamps);
  }
};

struct ImportRequest {
  std::string tenant;  // "" sends no X-Scope-OrgID (the default tenant "fake")
  std::vector<ImportLine> lines;
};

// The data of a tenant as series definitions; the same label sets exist in every tenant, with
// different values, so that a leak between tenants shows.
struct GeneratedSeries {
  SeriesKey labels;
  std::string metric;
  std::vector<int64_t> timestamps;
};

std::vector<GeneratedSeries> GenerateSeries(std::mt19937_64& rng, int count) {
  static const char* kNames[] = {"http_requests_total", "node_cpu_seconds_total",
                                 "temperature_celsius", "app:latency_seconds:rate5m"};
  static const int64_t kSteps[] = {1000, 15000, 60000, 7};
  std::vector<GeneratedSeries> out;
  for (int i = 0; i < count; ++i) {
    GeneratedSeries s;
    std::vector<std::pair<std::string, std::string>> labels = {
        {"__name__", kNames[i % std::size(kNames)]},
        {"job", fmt::format("job-{}", i % 7)},
        {"instance", fmt::format("10.0.{}.{}:9100", i / 250, i % 250)}};
    if (i % 5 == 0) labels.emplace_back("path", "/a \"quoted\" \\ back/slash");
    if (i % 6 == 0) labels.emplace_back("city", "Zürich ☃");
    if (i % 9 == 0) labels.emplace_back("empty", "");  // an empty value is no label
    std::shuffle(labels.begin(), labels.end(), rng);   // any order on the wire
    s.metric = "{";
    for (const auto& [name, value] : labels) {
      if (s.metric.size() > 1) s.metric += ",";
      s.metric += JsonString(name) + ":" + JsonString(value);
      if (!value.empty()) s.labels[name] = value;
    }
    s.metric += "}";
    // Mostly a handful of samples, some series long enough to fill several chunks.
    int n = i % 10 == 0 ? 250 + static_cast<int>(rng() % 300) : 1 + static_cast<int>(rng() % 60);
    int64_t step = kSteps[rng() % std::size(kSteps)];
    int64_t start = kBaseMs + static_cast<int64_t>(rng() % 100'000);
    for (int k = 0; k < n; ++k) s.timestamps.push_back(start + k * step);
    out.push_back(std::move(s));
  }
  return out;
}

// Applies the requests to the model in order: the last write of a timestamp wins.
void Apply(const std::vector<ImportRequest>& requests, std::map<std::string, TenantData>* model) {
  for (const ImportRequest& r : requests) {
    TenantData& data = (*model)[r.tenant];
    for (const ImportLine& line : r.lines) {
      SeriesSamples& samples = data[line.labels];
      for (const auto& [ts, v] : line.samples) samples[ts] = v.bits;
    }
  }
}

std::string ImportBody(const ImportRequest& r) {
  std::string body;
  for (const ImportLine& line : r.lines) body += line.Json() + "\n";
  return body;
}

TEST_F(MetricsIngestTest, ImportExportRoundTripAcrossTenantsFlushAndRestarts) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::mt19937_64 rng(4242);
  const std::vector<std::string> tenants = {"", "team-a", "team-b"};
  std::vector<GeneratedSeries> series = GenerateSeries(rng, 120);

  // Phase 1 writes most samples in 1 to 3 parts per series, parts shuffled across requests
  // (later times often arrive first) and samples shuffled within some lines. Phase 2 (after a
  // seal) writes the held-back parts, which are older than what is stored, and overwrites some
  // stored timestamps. Phase 3 overwrites again and is followed by kill -9.
  std::vector<ImportRequest> phase1, phase2, phase3;
  for (const std::string& tenant : tenants) {
    std::vector<ImportLine> early, late, rewrites, final_rewrites;
    int64_t counter = 0;
    for (const GeneratedSeries& s : series) {
      size_t parts = 1 + rng() % 3;
      size_t held_back = s.timestamps.size() > 3 && rng() % 4 == 0 ? 1 : 0;
      std::vector<ImportLine> lines(parts);
      for (size_t k = 0; k < s.timestamps.size(); ++k) {
        // Contiguous ranges of time per part: part 0 holds the oldest samples.
        size_t part = k * parts / s.timestamps.size();
        lines[part].samples.emplace_back(s.timestamps[k], RandomImportValue(rng, ++counter));
      }
      for (size_t p = 0; p < parts; ++p) {
        if (lines[p].samples.empty()) continue;  // fewer samples than parts
        lines[p].labels = s.labels;
        lines[p].metric = s.metric;
        if (rng() % 3 == 0) std::shuffle(lines[p].samples.begin(), lines[p].samples.end(), rng);
        // A timestamp twice in one line: the later one wins.
        if (rng() % 8 == 0) {
          lines[p].samples.emplace_back(lines[p].samples.front().first,
                                        RandomImportValue(rng, ++counter));
        }
        (p < held_back ? late : early).push_back(lines[p]);
      }
      for (std::vector<ImportLine>* target : {&rewrites, &final_rewrites}) {
        if (rng() % 5 != 0) continue;
        ImportLine rewrite;
        rewrite.labels = s.labels;
        rewrite.metric = s.metric;
        for (int k = 0; k < 5; ++k) {
          int64_t ts = s.timestamps[rng() % s.timestamps.size()];
          rewrite.samples.emplace_back(ts, RandomImportValue(rng, ++counter));
        }
        target->push_back(std::move(rewrite));
      }
    }
    std::shuffle(early.begin(), early.end(), rng);
    auto split = [&](std::vector<ImportLine>& lines, size_t per_request,
                     std::vector<ImportRequest>* out) {
      for (size_t i = 0; i < lines.size(); i += per_request) {
        ImportRequest r;
        // The default tenant named explicitly in some requests is the same tenant.
        r.tenant = tenant.empty() && rng() % 2 == 0 ? "fake" : tenant;
        r.lines.assign(
            lines.begin() + static_cast<std::ptrdiff_t>(i),
            lines.begin() + static_cast<std::ptrdiff_t>(std::min(lines.size(), i + per_request)));
        out->push_back(std::move(r));
      }
    };
    split(early, 25, &phase1);
    split(late, 10, &phase2);
    split(rewrites, 10, &phase2);
    split(final_rewrites, 15, &phase3);
  }
  // Interleave tenants.
  std::shuffle(phase1.begin(), phase1.end(), rng);

  std::map<std::string, TenantData> model;
  auto send = [&](const std::vector<ImportRequest>& requests) {
    for (const ImportRequest& r : requests) {
      Post("/api/v1/import", ImportBody(r), TenantHeader(r.tenant));
    }
    // "fake" is the model's name for the default tenant.
    std::vector<ImportRequest> normalized = requests;
    for (ImportRequest& r : normalized) {
      if (r.tenant == "fake") r.tenant = "";
    }
    Apply(normalized, &model);
  };
  send(phase1);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(model.size(), 3u);
  size_t total = 0;
  for (const auto& [tenant, data] : model) total += SampleCount(data);
  ASSERT_GT(total, 10'000u);
  ExpectStored(model, "after import");

  ASSERT_NO_FATAL_FAILURE(ForceFlush());
  ExpectStored(model, "after force_flush");

  send(phase2);
  ASSERT_FALSE(HasFailure());
  ExpectStored(model, "after older samples and overwrites on sealed chunks");

  ASSERT_NO_FATAL_FAILURE(RestartDaemon());
  ExpectStored(model, "after a restart");

  send(phase3);
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(KillDaemon());
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ExpectStored(model, "after overwrites and kill -9 (WAL replay)");

  ASSERT_NO_FATAL_FAILURE(ForceFlush());
  ASSERT_NO_FATAL_FAILURE(RestartDaemon());
  ExpectStored(model, "after force_flush and a second restart");

  // A tenant that never wrote sees nothing.
  ParsedExport other = ExportAll("team-c");
  EXPECT_EQ(other.error, "");
  EXPECT_EQ(other.lines, 0u);
}

TEST_F(MetricsIngestTest, ExportFiltersByTimeRangeAndUnionOfSelectors) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  TenantData all;
  std::string body;
  for (int i = 0; i < 12; ++i) {
    SeriesKey key = {{"__name__", i % 3 == 0 ? "m_a" : (i % 3 == 1 ? "m_b" : "m_c")},
                     {"job", fmt::format("j{}", i % 4)},
                     {"i", std::to_string(i)}};
    std::string values, timestamps;
    for (int k = 0; k < 100; ++k) {
      int64_t ts = kBaseMs + k * 1000 + i;  // one second apart
      double v = i * 1000 + k + 0.5;
      all[key][ts] = ValueBits(v);
      values += (k > 0 ? "," : "") + fmt::format("{}", v);
      timestamps += (k > 0 ? "," : "") + std::to_string(ts);
    }
    std::string metric;
    for (const auto& [n, v] : key)
      metric += (metric.empty() ? "" : ",") + JsonString(n) + ":" + JsonString(v);
    body += fmt::format(R"({{"metric":{{{}}},"values":[{}],"timestamps":[{}]}})", metric, values,
                        timestamps) +
            "\n";
  }
  // Compressed as vmctl and vmagent send it.
  Post("/api/v1/import", testing::Gzip(body), {{"Content-Encoding", "gzip"}});
  ASSERT_FALSE(HasFailure());

  auto filter = [&](int64_t start, int64_t end, std::function<bool(const SeriesKey&)> pick) {
    TenantData out;
    for (const auto& [key, samples] : all) {
      if (!pick(key)) continue;
      for (const auto& [ts, bits] : samples) {
        if (ts >= start && ts <= end) out[key][ts] = bits;
      }
    }
    return out;
  };
  auto any = [](const SeriesKey&) { return true; };
  struct Case {
    std::string what;
    std::vector<std::string> selectors;
    std::string range;
    TenantData want;
  };
  auto name_is = [](std::string n) {
    return [n](const SeriesKey& k) { return k.at("__name__") == n; };
  };
  std::vector<Case> cases = {
      {"everything", {R"({__name__=~".+"})"}, "", all},
      {"start and end in ms (inclusive)",
       {R"({__name__=~".+"})"},
       fmt::format("start={}&end={}", kBaseMs + 10'005, kBaseMs + 20'005),
       filter(kBaseMs + 10'005, kBaseMs + 20'005, any)},
      {"RFC 3339 start, Unix seconds end with a fraction",
       {R"({__name__=~".+"})"},
       "start=2023-11-14T22:13:50.003Z&end=1700000060.5",
       filter(kBaseMs + 30'003, kBaseMs + 60'500, any)},
      {"Unix seconds",
       {"m_b"},
       "start=1700000090&end=1700000095",
       filter(kBaseMs + 90'000, kBaseMs + 95'000, name_is("m_b"))},
      {"a range with no samples", {R"({__name__=~".+"})"}, "start=1600000000&end=1600000100", {}},
      {"two overlapping selectors: their union, each series once",
       {"m_a", R"({job="j1"})"},
       "",
       filter(0, kBaseMs * 2,
              [](const SeriesKey& k) { return k.at("__name__") == "m_a" || k.at("job") == "j1"; })},
      {"three selectors with a range",
       {R"(m_c{job=~"j[02]"})", R"({i="1"})", R"({__name__="m_a",i!="0"})"},
       fmt::format("start={}&end={}", kBaseMs + 50'000, kBaseMs + 52'000),
       filter(kBaseMs + 50'000, kBaseMs + 52'000,
              [](const SeriesKey& k) {
                return (k.at("__name__") == "m_c" &&
                        (k.at("job") == "j0" || k.at("job") == "j2")) ||
                       k.at("i") == "1" || (k.at("__name__") == "m_a" && k.at("i") != "0");
              })},
  };
  for (const Case& c : cases) {
    ParsedExport got = Export("", c.selectors, c.range);
    EXPECT_EQ(got.error, "") << c.what;
    EXPECT_TRUE(SameData(c.want, got.data)) << c.what;
    EXPECT_EQ(got.lines, c.want.size()) << c.what;
  }

  // What the export refuses.
  for (const std::string& target :
       {std::string("/api/v1/export"), std::string("/api/v1/export?match%5B%5D=%7Bjob%3D"),
        std::string("/api/v1/export?match%5B%5D=m_a&start=yesterday")}) {
    std::optional<TestResponse> r = Request("GET", target);
    ASSERT_TRUE(r.has_value()) << target;
    EXPECT_EQ(r->status, 400) << target << ": " << r->body;
    EXPECT_FALSE(r->body.empty()) << target;
  }
}

TEST_F(MetricsIngestTest, ImportNamesTheBadLineAndStoresTheOthers) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::string body =
      R"({"metric":{"__name__":"good_one","n":"1"},"values":[1.5],"timestamps":[1700000000000]})"
      "\n"
      R"({"metric":{"__name__":"bad_lengths"},"values":[1,2],"timestamps":[1700000000000]})"
      "\n"
      R"({"metric":{"__name__":"good_two"},)"  // keys in another order
      R"("timestamps":[1700000000000,1700000001000],"values":[null,-3]})"
      "\n"
      R"({"metric":{"job":"no_name"},"values":[1],"timestamps":[1700000000000]})"
      "\n";
  TestResponse r = Post("/api/v1/import", body, {}, 400);
  EXPECT_THAT(r.body, ::testing::HasSubstr("line 2"));
  EXPECT_THAT(r.body, ::testing::HasSubstr("rejected 2 series"));

  // Broken JSON in the middle of a body: only that line is lost.
  std::string broken =
      R"({"metric":{"__name__":"good_three"},"values":[7],"timestamps":[1700000002000]})"
      "\n\n"
      R"({"metric":{"__name__":"torn","values":[1],"timestam)"
      "\n"
      R"({"metric":{"__name__":"good_four"},"values":["Infinity"],"timestamps":[1700000003000]})"
      "\n";
  r = Post("/api/v1/import", broken, {{"X-Scope-OrgID", "other"}}, 400);
  EXPECT_THAT(r.body, ::testing::HasSubstr("line 3"));

  TenantData want_default = {
      {{{"__name__", "good_one"}, {"n", "1"}}, {{kBaseMs, ValueBits(1.5)}}},
      {{{"__name__", "good_two"}}, {{kBaseMs, kStaleBits}, {kBaseMs + 1000, ValueBits(-3)}}},
  };
  TenantData want_other = {
      {{{"__name__", "good_three"}}, {{kBaseMs + 2000, ValueBits(7)}}},
      {{{"__name__", "good_four"}},
       {{kBaseMs + 3000, ValueBits(std::numeric_limits<double>::infinity())}}},
  };
  ExpectStored({{"", want_default}, {"other", want_other}}, "after imports with bad lines");
}

// ---- Prometheus remote write -----------------------------------------------------------------

std::string RemoteWriteBody(const std::vector<pipeline::RemoteWriteSeries>& series,
                            const std::vector<storage::MetricMetadata>& metadata = {}) {
  std::string proto, compressed;
  pipeline::EncodeRemoteWrite(series, metadata, &proto);
  snappy::Compress(proto.data(), proto.size(), &compressed);
  return compressed;
}

// What vmagent sends with `Content-Encoding: zstd`: the protobuf zstd-compressed, no snappy.
std::string RemoteWriteBodyZstd(const std::vector<pipeline::RemoteWriteSeries>& series,
                                const std::vector<storage::MetricMetadata>& metadata = {}) {
  std::string proto;
  pipeline::EncodeRemoteWrite(series, metadata, &proto);
  std::string compressed(ZSTD_compressBound(proto.size()), '\0');
  size_t n = ZSTD_compress(compressed.data(), compressed.size(), proto.data(), proto.size(), 3);
  compressed.resize(ZSTD_isError(n) ? 0 : n);
  return compressed;
}

const Headers kRemoteWriteHeaders = {{"Content-Encoding", "snappy"},
                                     {"Content-Type", "application/x-protobuf"},
                                     {"X-Prometheus-Remote-Write-Version", "0.1.0"}};

Headers WithTenant(Headers h, const std::string& tenant) {
  if (!tenant.empty()) h.emplace_back("X-Scope-OrgID", tenant);
  return h;
}

void AddToModel(const std::vector<pipeline::RemoteWriteSeries>& series, TenantData* model) {
  for (const pipeline::RemoteWriteSeries& s : series) {
    SeriesKey key;
    for (const storage::Label& l : s.labels) {
      if (!l.value.empty()) key[l.name] = l.value;
    }
    for (const storage::Sample& sample : s.samples) {
      (*model)[key][sample.timestamp_ms] = ValueBits(sample.value);
    }
  }
}

TEST_F(MetricsIngestTest, RemoteWriteRoundTripsValuesAndStaleMarkers) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::mt19937_64 rng(777);
  const double stale = storage::StaleNaN();
  ASSERT_EQ(std::bit_cast<uint64_t>(stale), 0x7ff0000000000002ULL);
  const double special[] = {stale,
                            std::bit_cast<double>(0x7ff8000000000001ULL),  // Prometheus' NaN
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(),
                            -0.0,
                            5e-324,
                            1e300,
                            18446744073709551616.0,
                            -123.456};
  std::map<std::string, TenantData> model;
  struct Target {
    std::string path;
    Headers headers;
    std::string tenant;
    bool zstd = false;
  };
  Headers without_encoding = {{"Content-Type", "application/x-protobuf"},
                              {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  Headers zstd_encoded = WithTenant(without_encoding, "rw-3");
  zstd_encoded.emplace_back("Content-Encoding", "zstd");
  const std::vector<Target> targets = {
      {"/api/v1/write", kRemoteWriteHeaders, ""},
      {"/api/v1/write", without_encoding, ""},  // the body is snappy all the same
      {"/api/v1/write", WithTenant(kRemoteWriteHeaders, "rw-1"), "rw-1"},
      {"/api/prom/push", WithTenant(kRemoteWriteHeaders, "rw-2"), "rw-2"},
      {"/api/prom/push", kRemoteWriteHeaders, ""},
      {"/api/v1/write", zstd_encoded, "rw-3", true},  // vmagent's choice
  };
  int64_t ts = kBaseMs;
  for (int request = 0; request < 20; ++request) {
    const Target& target = targets[static_cast<size_t>(request) % targets.size()];
    std::vector<pipeline::RemoteWriteSeries> series;
    for (int i = 0; i < 30; ++i) {
      pipeline::RemoteWriteSeries s;
      // Unsorted labels, as some senders write them.
      s.labels = {{"job", "node"},
                  {"instance", fmt::format("host-{}:9100", i)},
                  {"__name__", i % 2 == 0 ? "node_load1" : "node_network_receive_bytes_total"}};
      if (i % 4 == 0) s.labels.push_back({"device", "eth0"});
      for (int k = 0; k < 4; ++k) {
        double v = rng() % 5 == 0 ? special[rng() % std::size(special)]
                                  : std::uniform_real_distribution<double>(-1e9, 1e9)(rng);
        // Series repeat across requests: the timestamps go on where the last request stopped.
        s.samples.push_back({ts + (request * 4 + k) * 15'000, v});
      }
      series.push_back(std::move(s));
    }
    std::vector<storage::MetricMetadata> metadata;
    if (request % 3 == 0) {
      metadata = {{"node_load1", storage::MetricType::kGauge, "1m load average.", ""},
                  {"node_network_receive_bytes_total", storage::MetricType::kCounter,
                   "Network device statistic receive_bytes.", "bytes"}};
    }
    Post(target.path,
         target.zstd ? RemoteWriteBodyZstd(series, metadata) : RemoteWriteBody(series, metadata),
         target.headers);
    AddToModel(series, &model[target.tenant]);
  }
  // Metadata alone is a valid request.
  Post("/api/v1/write",
       RemoteWriteBody({}, {{"up", storage::MetricType::kGauge, "Target is up.", ""}}),
       kRemoteWriteHeaders);
  ASSERT_FALSE(HasFailure());
  ExpectStored(model, "after remote write");

  // Stale markers are exported as null.
  ParsedExport got = Export("rw-2", {"node_load1"});
  ASSERT_EQ(got.error, "");
  size_t stale_seen = 0;
  for (const auto& [key, samples] : got.data) {
    for (const auto& [t, bits] : samples) stale_seen += bits == kStaleBits;
  }
  EXPECT_GT(stale_seen, 0u) << "the data set should hold stale markers";

  ASSERT_NO_FATAL_FAILURE(RestartDaemon());
  ExpectStored(model, "after a restart");
}

TEST_F(MetricsIngestTest, RemoteWriteRejectsInvalidSeriesAndGarbage) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::vector<pipeline::RemoteWriteSeries> series = {
      {{{"__name__", "good_a"}, {"job", "x"}}, {{kBaseMs, 1}}},
      {{{"__name__", "with_bad_label"}, {"bad-name", "x"}}, {{kBaseMs, 2}}},
      {{{"__name__", "good_b"}}, {{kBaseMs, 3}, {kBaseMs + 1, 4}}},
  };
  TestResponse r = Post("/api/v1/write", RemoteWriteBody(series), kRemoteWriteHeaders, 400);
  EXPECT_THAT(r.body, ::testing::HasSubstr("bad-name"));
  EXPECT_THAT(r.body, ::testing::HasSubstr("rejected 1 series"));

  std::string proto;
  pipeline::EncodeRemoteWrite({{{{"__name__", "never_stored"}}, {{kBaseMs, 5}}}}, {}, &proto);
  std::string snappy_garbage;
  const std::string junk = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x0a\x05junk";
  snappy::Compress(junk.data(), junk.size(), &snappy_garbage);
  std::string truncated;
  std::string cut = proto.substr(0, proto.size() - 3);
  snappy::Compress(cut.data(), cut.size(), &truncated);
  const std::vector<std::pair<std::string, Headers>> garbage = {
      {"this is not snappy at all", kRemoteWriteHeaders},
      {"this is not snappy either", {{"X-Prometheus-Remote-Write-Version", "0.1.0"}}},
      {proto, kRemoteWriteHeaders},  // not compressed
      {snappy_garbage, kRemoteWriteHeaders},
      {truncated, kRemoteWriteHeaders},
  };
  for (const auto& [body, headers] : garbage) {
    std::optional<TestResponse> g = Request("POST", "/api/v1/write", body, headers);
    ASSERT_TRUE(g.has_value());
    EXPECT_EQ(g->status, 400) << g->body;
    EXPECT_FALSE(g->body.empty());
  }
  std::optional<TestResponse> g =
      Request("POST", "/api/prom/push", "garbage", WithTenant(kRemoteWriteHeaders, "t"));
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->status, 400) << g->body;

  TenantData want = {
      {{{"__name__", "good_a"}, {"job", "x"}}, {{kBaseMs, ValueBits(1)}}},
      {{{"__name__", "good_b"}}, {{kBaseMs, ValueBits(3)}, {kBaseMs + 1, ValueBits(4)}}},
  };
  ExpectStored({{"", want}, {"t", {}}}, "after rejected remote writes");
}

TEST_F(MetricsIngestTest, RemoteWriteOfACapturedPrometheusRequest) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const std::string dir = std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/shippers/";
  simdjson::ondemand::parser parser;
  for (const std::string name :
       {"prometheus-remote-write-metadata", "prometheus-remote-write-samples"}) {
    std::string request_json = testing::ReadFile(dir + name + ".request.json");
    std::string body = testing::ReadFile(dir + name + ".body.bin");
    ASSERT_FALSE(request_json.empty()) << dir + name + ".request.json is missing";
    ASSERT_FALSE(body.empty());
    Headers headers;
    simdjson::padded_string padded(request_json);
    simdjson::ondemand::document doc = parser.iterate(padded);
    std::string path = std::string(std::string_view(doc["path"]));
    for (auto field : doc["headers"].get_object()) {
      std::string header = std::string(std::string_view(field.unescaped_key()));
      if (header == "Host" || header == "Content-Length") continue;  // the client sets them
      headers.emplace_back(header, std::string(std::string_view(field.value().get_string())));
    }
    Post(path, body, headers);
  }

  // The decoded view lists the first 20 series of the samples request exactly.
  std::string decoded = testing::ReadFile(dir + "prometheus-remote-write-samples.decoded.json");
  simdjson::padded_string padded(decoded);
  simdjson::ondemand::document doc = parser.iterate(padded);
  int64_t series_total = doc["timeseries_total"].get_int64();
  int64_t samples_total = doc["samples_total"].get_int64();
  TenantData first;
  for (auto s : doc["timeseries_first_20"].get_array()) {
    SeriesKey key;
    for (auto l : s["labels"].get_object()) {
      key[std::string(std::string_view(l.unescaped_key()))] =
          std::string(std::string_view(l.value().get_string()));
    }
    for (auto sample : s["samples"].get_array()) {
      int64_t ts = 0;
      int index = 0;
      for (auto item : sample.get_array()) {
        if (index++ == 0) {
          ts = item.get_int64();
        } else {
          first[key][ts] = ValueBits(item.get_double());
        }
      }
    }
  }
  ASSERT_EQ(first.size(), 20u);

  ParsedExport got = ExportAll("");
  ASSERT_EQ(got.error, "");
  EXPECT_EQ(static_cast<int64_t>(got.data.size()), series_total);
  EXPECT_EQ(static_cast<int64_t>(SampleCount(got.data)), samples_total);
  TenantData got_first;
  for (const auto& [key, samples] : first) {
    if (got.data.count(key) != 0) got_first[key] = got.data.at(key);
  }
  EXPECT_TRUE(SameData(first, got_first));
}

// ---- Influx line protocol --------------------------------------------------------------------

TEST_F(MetricsIngestTest, InfluxLinesFromTelegraf) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::optional<TestResponse> ping = Request("GET", "/ping");
  ASSERT_TRUE(ping.has_value());
  EXPECT_EQ(ping->status, 204);

  // What Telegraf's influxdb output sends with precision = "1s".
  std::string body =
      "cpu,cpu=cpu-total,host=web01 usage_idle=97.5,usage_user=1.25,usage_system=0.75 1700000000\n"
      "mem,host=web01 used_percent=42.5,available=8123456789i,active=1u 1700000000\n"
      "disk,device=sda1,fstype=ext4,host=web01,mode=rw,path=/ free=1.2e10,used_percent=55.1 "
      "1700000000\n"
      "system,host=web01 load1=0.5,n_cpus=8i,uptime_format=\"3 days,  1:02\" 1700000010\n"
      "net,host=web01,interface=eth0 up=true,down=F,bytes_recv=123u 1700000010\n";
  Post("/write?db=telegraf&precision=s", body, {{"Content-Type", "text/plain; charset=utf-8"}});
  auto series = [](std::string name, std::vector<std::pair<std::string, std::string>> tags) {
    SeriesKey k = {{"__name__", std::move(name)}, {"db", "telegraf"}, {"host", "web01"}};
    for (auto& [n, v] : tags) k[n] = v;
    return k;
  };
  const int64_t t0 = kBaseMs, t10 = kBaseMs + 10'000;
  TenantData want = {
      {series("cpu_usage_idle", {{"cpu", "cpu-total"}}), {{t0, ValueBits(97.5)}}},
      {series("cpu_usage_user", {{"cpu", "cpu-total"}}), {{t0, ValueBits(1.25)}}},
      {series("cpu_usage_system", {{"cpu", "cpu-total"}}), {{t0, ValueBits(0.75)}}},
      {series("mem_used_percent", {}), {{t0, ValueBits(42.5)}}},
      {series("mem_available", {}), {{t0, ValueBits(8123456789.0)}}},
      {series("mem_active", {}), {{t0, ValueBits(1)}}},
      {series("disk_free", {{"device", "sda1"}, {"fstype", "ext4"}, {"mode", "rw"}, {"path", "/"}}),
       {{t0, ValueBits(1.2e10)}}},
      {series("disk_used_percent",
              {{"device", "sda1"}, {"fstype", "ext4"}, {"mode", "rw"}, {"path", "/"}}),
       {{t0, ValueBits(55.1)}}},
      {series("system_load1", {}), {{t10, ValueBits(0.5)}}},
      {series("system_n_cpus", {}), {{t10, ValueBits(8)}}},
      {series("net_up", {{"interface", "eth0"}}), {{t10, ValueBits(1)}}},
      {series("net_down", {{"interface", "eth0"}}), {{t10, ValueBits(0)}}},
      {series("net_bytes_recv", {{"interface", "eth0"}}), {{t10, ValueBits(123)}}},
  };
  ParsedExport got = Export("", {R"({db="telegraf"})"});
  ASSERT_EQ(got.error, "");
  EXPECT_TRUE(SameData(want, got.data));

  // The v2 API: bucket becomes db, timestamps in ms, and a line without one gets the time of
  // arrival.
  int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  Post("/api/v2/write?org=o&bucket=b2&precision=ms",
       "weather,location=us-midwest temperature=82.5 1700000000123\n"
       "weather,location=eu temperature=-3.25\n",
       {{"Authorization", "Token abc"}, {"X-Scope-OrgID", "influx"}});
  int64_t after = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  got = ExportAll("influx");
  ASSERT_EQ(got.error, "");
  SeriesKey midwest = {
      {"__name__", "weather_temperature"}, {"db", "b2"}, {"location", "us-midwest"}};
  SeriesKey eu = {{"__name__", "weather_temperature"}, {"db", "b2"}, {"location", "eu"}};
  EXPECT_EQ(got.data.size(), 2u);
  EXPECT_EQ(got.data[midwest], (SeriesSamples{{kBaseMs + 123, ValueBits(82.5)}}));
  ASSERT_EQ(got.data[eu].size(), 1u);
  EXPECT_EQ(got.data[eu].begin()->second, ValueBits(-3.25));
  EXPECT_GE(got.data[eu].begin()->first, before);
  EXPECT_LE(got.data[eu].begin()->first, after);

  // Without a precision argument the unit follows from the magnitude (VictoriaMetrics' rule),
  // so ns, us, ms and s timestamps of the same moment all land on it.
  Post("/write?db=guess",
       "g,unit=ns v=1 1700000000123456789\n"
       "g,unit=us v=2 1700000000123456\n"
       "g,unit=ms v=3 1700000000123\n"
       "g,unit=s v=4 1700000000\n",
       {});
  got = Export("", {R"({db="guess"})"});
  EXPECT_EQ(got.error, "");
  EXPECT_TRUE(SameData(
      {
          {{{"__name__", "g_v"}, {"db", "guess"}, {"unit", "ns"}}, {{kBaseMs + 123, ValueBits(1)}}},
          {{{"__name__", "g_v"}, {"db", "guess"}, {"unit", "us"}}, {{kBaseMs + 123, ValueBits(2)}}},
          {{{"__name__", "g_v"}, {"db", "guess"}, {"unit", "ms"}}, {{kBaseMs + 123, ValueBits(3)}}},
          {{{"__name__", "g_v"}, {"db", "guess"}, {"unit", "s"}}, {{kBaseMs, ValueBits(4)}}},
      },
      got.data));

  // A bad line is named; the others are stored.
  TestResponse r = Post("/write?db=telegraf&precision=s",
                        "cpu,host=web02 usage_idle=1 1700000000\n"
                        "cpu,host=web02 usage_idle=abc 1700000000\n",
                        {}, 400);
  EXPECT_THAT(r.body, ::testing::HasSubstr("line 2"));
  got = Export("", {R"({host="web02"})"});
  EXPECT_EQ(got.error, "");
  EXPECT_TRUE(SameData({{{{"__name__", "cpu_usage_idle"}, {"db", "telegraf"}, {"host", "web02"}},
                         {{kBaseMs, ValueBits(1)}}}},
                       got.data));
}

// ---- kill -9 under load ----------------------------------------------------------------------

// Remote write clients send unique (series, timestamp) samples while the daemon is killed and
// restarted: every acknowledged sample is there afterwards with its value, and nothing that was
// never sent appears.
TEST_F(MetricsIngestTest, EveryAcknowledgedSampleSurvivesKill9) {
  const int kKills = testing::CrashKills(5);
  constexpr int kClients = 3;
  constexpr int kSeriesPerRequest = 5;
  constexpr int kSamplesPerSeries = 20;
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::atomic<uint16_t> port{port_};

  // (client, series, timestamp) -> value bits
  using SampleId = std::tuple<int, int, int64_t>;
  std::mutex mu;
  std::map<SampleId, uint64_t> attempted;
  std::set<SampleId> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> acked_requests{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  // Stops the clients however the test ends (a failed ASSERT returns early); each of their
  // requests is bounded by the client's timeout.
  struct JoinOnExit {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~JoinOnExit() {
      stop = true;
      for (std::thread& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_on_exit{stop, clients};
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937_64 rng(1000 + c);
      int64_t request = 0;
      while (!stop.load()) {
        testing::TestHttpClient client(port.load(), 5s);
        if (!client.connected()) {
          std::this_thread::sleep_for(20ms);
          continue;
        }
        while (!stop.load()) {
          std::vector<pipeline::RemoteWriteSeries> series;
          std::vector<std::pair<SampleId, uint64_t>> ids;
          for (int s = 0; s < kSeriesPerRequest; ++s) {
            pipeline::RemoteWriteSeries rw;
            rw.labels = {{"__name__", "crash_test_value"},
                         {"client", std::to_string(c)},
                         {"series", std::to_string(s)}};
            for (int k = 0; k < kSamplesPerSeries; ++k) {
              int64_t ts = kBaseMs + request * kSamplesPerSeries + k;
              double v = rng() % 10 == 0 ? storage::StaleNaN()
                                         : std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
              rw.samples.push_back({ts, v});
              ids.push_back({{c, s, ts}, ValueBits(v)});
            }
            series.push_back(std::move(rw));
          }
          ++request;
          {
            std::lock_guard lock(mu);
            for (const auto& [id, bits] : ids) attempted[id] = bits;
          }
          auto r =
              client.Request("POST", "/api/v1/write", RemoteWriteBody(series), kRemoteWriteHeaders);
          if (!r) break;  // the daemon died under us: reconnect
          if (r->status == 204) {
            std::lock_guard lock(mu);
            for (const auto& [id, bits] : ids) acknowledged.insert(id);
            ++acked_requests;
          } else {
            ++refused;
          }
        }
      }
    });
  }

  std::mt19937 rng(20261123);
  for (int kill = 1; kill <= kKills; ++kill) {
    int before = acked_requests.load();
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (acked_requests.load() < before + 30 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    // Some kills find sealed chunks besides the WAL.
    if (kill == 2) ForceFlush();
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
    ASSERT_NO_FATAL_FAILURE(KillDaemon());
    ASSERT_NO_FATAL_FAILURE(StartDaemon());
    port = port_;
  }
  std::this_thread::sleep_for(300ms);
  stop = true;
  for (std::thread& t : clients) t.join();

  ParsedExport got = Export("", {"crash_test_value"});
  ASSERT_EQ(got.error, "");
  size_t missing = 0, wrong = 0, never_sent = 0, stored = 0;
  std::string examples;
  auto example = [&](std::string e) {
    if (examples.size() < 1500) examples += "  " + e + "\n";
  };
  std::map<SampleId, uint64_t> stored_samples;
  for (const auto& [key, samples] : got.data) {
    int c = std::stoi(key.at("client"));
    int s = std::stoi(key.at("series"));
    for (const auto& [ts, bits] : samples) stored_samples[{c, s, ts}] = bits;
  }
  for (const auto& [id, bits] : stored_samples) {
    ++stored;
    auto it = attempted.find(id);
    if (it == attempted.end()) {
      ++never_sent;
      example(fmt::format("never sent: client {} series {} @{}", std::get<0>(id), std::get<1>(id),
                          std::get<2>(id)));
    } else if (it->second != bits) {
      ++wrong;
      example(fmt::format("client {} series {} @{}: got {} sent {}", std::get<0>(id),
                          std::get<1>(id), std::get<2>(id), ValueText(bits),
                          ValueText(it->second)));
    }
  }
  for (const SampleId& id : acknowledged) {
    if (stored_samples.count(id) == 0) {
      ++missing;
      example(fmt::format("acknowledged, missing: client {} series {} @{}", std::get<0>(id),
                          std::get<1>(id), std::get<2>(id)));
    }
  }
  EXPECT_EQ(missing + wrong + never_sent, 0u)
      << missing << " acknowledged samples missing, " << wrong << " with a wrong value, "
      << never_sent << " never sent:\n"
      << examples;
  EXPECT_GE(acknowledged.size(),
            static_cast<size_t>(kKills * 30 * kSeriesPerRequest * kSamplesPerSeries));
  std::cout << "acknowledged " << acknowledged.size() << " samples, stored " << stored << " of "
            << attempted.size() << " attempted (" << refused.load() << " requests refused), across "
            << kKills << " kill -9\n";
}

}  // namespace
}  // namespace sluice
