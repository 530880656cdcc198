#include "daemon/deletion/deletion_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <variant>

#include "query/logql_ast.h"
#include "query/logql_parser.h"
#include "query/logql_pipeline.h"
#include "query/selector_parser.h"

namespace sluice::daemon {
namespace {

namespace logql = query::logql;

constexpr int64_t kNsPerMs = 1'000'000;

Status InvalidQuery(std::string_view why) {
  return Status::InvalidArgument(fmt::format("invalid query expression: {}", why));
}

// Milliseconds to nanoseconds, saturating: a range reaching past year 2262 deletes to the end.
int64_t MsToNs(int64_t ms) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / kNsPerMs;
  if (ms > kMax) return std::numeric_limits<int64_t>::max();
  if (ms < -kMax) return std::numeric_limits<int64_t>::min();
  return ms * kNsPerMs;
}

bool MatchesAll(const storage::LabelMatchers& matchers, const storage::Labels& labels) {
  return std::all_of(matchers.begin(), matchers.end(),
                     [&](const storage::LabelMatcher& m) { return m.MatchesLabels(labels); });
}

}  // namespace

Result<CompiledDelete> CompileLogDeleteQuery(std::string_view query) {
  Result<logql::ExprPtr> expr = logql::ParseExpr(query);
  if (!expr.ok()) return InvalidQuery(expr.status().message());
  if (!logql::IsLogQuery(**expr)) return InvalidQuery("only log selector is supported");
  const auto& selector = std::get<logql::LogSelector>((*expr)->node);
  for (const logql::Stage& stage : selector.stages) {
    if (!std::holds_alternative<logql::LineFilter>(stage.node)) {
      return InvalidQuery(fmt::format(
          "a delete query may only have line filters after its stream selector, not `{}`",
          logql::ToString(stage)));
    }
  }
  CompiledDelete compiled;
  compiled.selectors.push_back(selector.matchers);
  if (!selector.stages.empty()) {
    // Compiling checks what the parser leaves to it (regexes, ip() and |> patterns), so that a
    // request that could never run is refused now rather than at every read.
    Result<std::unique_ptr<logql::Pipeline>> pipeline = logql::Pipeline::Compile(selector);
    if (!pipeline.ok()) return InvalidQuery(pipeline.status().message());
    compiled.line_filter = std::move(pipeline).value();
  }
  return compiled;
}

Result<std::vector<storage::LabelMatchers>> CompileSeriesSelectors(
    const std::vector<std::string>& selectors) {
  std::vector<storage::LabelMatchers> sets;
  for (const std::string& text : selectors) {
    SLUICE_ASSIGN_OR_RETURN(storage::LabelMatchers matchers, query::ParseSelector(text));
    if (std::all_of(matchers.begin(), matchers.end(),
                    [](const storage::LabelMatcher& m) { return m.MatchesEmpty(); })) {
      return Status::InvalidArgument("match[] must contain at least one non-empty matcher");
    }
    sets.push_back(std::move(matchers));
  }
  return sets;
}

Result<CompiledDelete> CompileDeleteRequest(const DeleteRequest& request) {
  CompiledDelete compiled;
  if (request.kind == DeleteKind::kLogs) {
    if (request.queries.size() != 1) {
      return Status::Corruption(fmt::format("log delete request {} has {} queries, not one",
                                            request.request_id, request.queries.size()));
    }
    SLUICE_ASSIGN_OR_RETURN(compiled, CompileLogDeleteQuery(request.queries[0]));
    compiled.start = MsToNs(request.start_ms);
    compiled.end = MsToNs(request.end_ms);
  } else {
    SLUICE_ASSIGN_OR_RETURN(compiled.selectors, CompileSeriesSelectors(request.queries));
    compiled.start = request.start_ms;
    compiled.end = request.end_ms;
  }
  return compiled;
}

storage::DeletionPlan MakeDeletionPlan(DeletionSet set) {
  if (set.empty()) return nullptr;
  auto shared = std::make_shared<const DeletionSet>(std::move(set));
  return [shared](std::string_view tenant, const storage::Labels& labels,
                  std::vector<storage::DeletionInterval>* out) {
    auto it = shared->find(tenant);
    if (it == shared->end()) return;
    for (const CompiledDelete& d : it->second) {
      bool selected = std::any_of(d.selectors.begin(), d.selectors.end(),
                                  [&](const auto& m) { return MatchesAll(m, labels); });
      if (!selected) continue;
      storage::DeletionInterval interval{.start = d.start, .end = d.end, .line_filter = nullptr};
      if (d.line_filter) {
        // Pipeline::Matches is const and keeps no state: safe from every thread at once.
        interval.line_filter = [filter = d.line_filter](std::string_view line) {
          return filter->Matches(line);
        };
      }
      out->push_back(std::move(interval));
    }
  };
}

}  // namespace sluice::daemon
