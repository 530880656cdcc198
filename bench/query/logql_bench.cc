// LogQL filtering speed over real log lines: the loghub corpus repeated to SLUICE_LOGQL_BENCH_MB
// (default 1024) of decompressed text, held in memory as the engine sees a block's lines, run
// through the compiled pipeline of a query, line by line, exactly as the engine calls it.
//
// Reported (per CPU second of the one thread): bytes/s, which is GB/s per core, and cpu_s_per_GB;
// also "matched" lines per iteration, checked against a naive reference
// before timing, so that a fast wrong filter cannot pass.
//
// The json and logfmt cases use the same lines wrapped as {"level":"<level>","msg":"<line>"}
// and level=<level> msg="<line>", with the level taken from the line (ERROR/WARN/INFO words).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/json_writer.h"
#include "bench/bench_util.h"
#include "query/logql_parser.h"
#include "query/logql_pipeline.h"

namespace sluice::query::logql {
namespace {

size_t TargetBytes() {
  const char* mb = std::getenv("SLUICE_LOGQL_BENCH_MB");
  size_t n = mb != nullptr ? std::strtoull(mb, nullptr, 10) : 1024;
  return std::max<size_t>(n, 1) << 20;
}

// Lines in one arena, viewed one by one.
struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;
  size_t bytes = 0;  // line bytes, without separators
};

template <typename Transform>
Corpus Build(Transform transform) {
  Corpus c;
  const auto& source = bench::LoghubLines();
  std::vector<std::string> variants;
  variants.reserve(source.size());
  size_t one_pass = 0;
  for (const std::string& line : source) {
    variants.push_back(transform(line));
    one_pass += variants.back().size() + 1;
  }
  const size_t target = TargetBytes();
  c.text.reserve(target + one_pass);
  std::vector<std::pair<size_t, size_t>> spans;
  while (c.text.size() < target) {
    for (const std::string& v : variants) {
      spans.emplace_back(c.text.size(), v.size());
      c.text.append(v);
      c.text.push_back('\n');
      c.bytes += v.size();
    }
  }
  c.lines.reserve(spans.size());
  for (auto [off, len] : spans) c.lines.emplace_back(c.text.data() + off, len);
  return c;
}

std::string_view LevelOf(std::string_view line) {
  if (line.find("ERROR") != std::string_view::npos || line.find("error") != std::string_view::npos)
    return "error";
  if (line.find("WARN") != std::string_view::npos) return "warn";
  return "info";
}

const Corpus& Plain() {
  static const Corpus c = Build([](const std::string& l) { return l; });
  return c;
}
const Corpus& Json() {
  static const Corpus c = Build([](const std::string& l) {
    std::string out = R"({"level":")";
    out.append(LevelOf(l));
    out.append(R"(","msg":")");
    JsonWriter::AppendEscaped(&out, l);
    out.append("\"}");
    return out;
  });
  return c;
}
const Corpus& Logfmt() {
  static const Corpus c = Build([](const std::string& l) {
    std::string out = "level=";
    out.append(LevelOf(l));
    out.append(" msg=\"");
    for (char ch : l) {
      if (ch == '"' || ch == '\\') out.push_back('\\');
      out.push_back(ch);
    }
    out.push_back('"');
    return out;
  });
  return c;
}

// Runs `query`'s pipeline over every line; `reference` says which lines must pass.
template <typename Reference>
void RunPipeline(benchmark::State& state, const Corpus& corpus, std::string_view query,
                 Reference reference) {
  Result<ExprPtr> expr = ParseExpr(query);
  if (!expr.ok() || !IsLogQuery(**expr)) {
    state.SkipWithError(("query does not parse: " + std::string(query)).c_str());
    return;
  }
  Result<std::unique_ptr<Pipeline>> pipeline =
      Pipeline::Compile(std::get<LogSelector>((*expr)->node));
  if (!pipeline.ok()) {
    state.SkipWithError(pipeline.status().message().c_str());
    return;
  }
  const Pipeline& p = **pipeline;
  PipelineRun run(p);
  LabelsBuilder labels;
  const storage::Labels stream = {{"app", "loghub"}};
  auto count = [&] {
    size_t matched = 0;
    if (p.LineFiltersOnly()) {
      for (std::string_view line : corpus.lines) matched += p.Matches(line) ? 1 : 0;
    } else {
      std::string_view out;
      int64_t ts = 0;
      for (std::string_view line : corpus.lines) {
        labels.Reset(stream);
        matched += run.Process(++ts, line, labels, &out) ? 1 : 0;
      }
    }
    return matched;
  };
  size_t expected = 0;
  for (std::string_view line : corpus.lines) expected += reference(line) ? 1 : 0;
  size_t got = count();
  if (got != expected) {
    state.SkipWithError(
        fmt::format("{} matched {} lines, the reference {}", query, got, expected).c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(count());
  state.counters["matched"] = static_cast<double>(expected);
  state.counters["lines"] = static_cast<double>(corpus.lines.size());
  bench::ReportCpuPerGB(state, static_cast<double>(corpus.bytes));
}

bool ContainsNoCase(std::string_view line, std::string_view needle) {
  auto it = std::search(line.begin(), line.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  return it != line.end();
}

void BM_LineContains(benchmark::State& state) {
  RunPipeline(state, Plain(), R"({app="loghub"} |= "error")",
              [](std::string_view l) { return l.find("error") != std::string_view::npos; });
}
BENCHMARK(BM_LineContains)->Unit(benchmark::kMillisecond);

void BM_LineContainsRare(benchmark::State& state) {
  // A needle that occurs in few lines: the pure scanning speed.
  RunPipeline(state, Plain(), R"({app="loghub"} |= "Failed password")", [](std::string_view l) {
    return l.find("Failed password") != std::string_view::npos;
  });
}
BENCHMARK(BM_LineContainsRare)->Unit(benchmark::kMillisecond);

void BM_LineRegexCaseInsensitive(benchmark::State& state) {
  RunPipeline(state, Plain(), R"({app="loghub"} |~ "(?i)error")",
              [](std::string_view l) { return ContainsNoCase(l, "error"); });
}
BENCHMARK(BM_LineRegexCaseInsensitive)->Unit(benchmark::kMillisecond);

void BM_LineRegexAlternation(benchmark::State& state) {
  RunPipeline(state, Plain(), R"({app="loghub"} |~ "error|fail")", [](std::string_view l) {
    return l.find("error") != std::string_view::npos || l.find("fail") != std::string_view::npos;
  });
}
BENCHMARK(BM_LineRegexAlternation)->Unit(benchmark::kMillisecond);

void BM_JsonLevelError(benchmark::State& state) {
  RunPipeline(state, Json(), R"({app="loghub"} | json | level="error")",
              [](std::string_view l) { return l.starts_with(R"({"level":"error")"); });
}
BENCHMARK(BM_JsonLevelError)->Unit(benchmark::kMillisecond);

void BM_LogfmtLevelError(benchmark::State& state) {
  RunPipeline(state, Logfmt(), R"({app="loghub"} | logfmt | level="error")",
              [](std::string_view l) { return l.starts_with("level=error "); });
}
BENCHMARK(BM_LogfmtLevelError)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sluice::query::logql
