#include "alerting/rule_io.h"

#include <future>
#include <utility>

#include "query/logql_parser.h"
#include "query/promql_parser.h"

namespace sluice::alerting {
namespace {

Result<query::promql::Vector> ToVector(query::promql::QueryResult result) {
  using query::promql::ValueType;
  switch (result.type) {
    case ValueType::kVector:
      return std::move(result.vector);
    case ValueType::kScalar:
      return query::promql::Vector{
          query::promql::VectorElement{{}, result.scalar.t, result.scalar.v}};
    default:
      return Status::InvalidArgument("rule result is not a vector or scalar");
  }
}

class PromqlRuleQuery final : public RuleQuery {
 public:
  PromqlRuleQuery(query::promql::ExprPtr expr, const EngineRuleQueryEngineOptions& options)
      : expr_(std::move(expr)),
        text_(query::promql::ToString(*expr_)),
        options_(options),
        engine_(options.promql) {}

  Result<query::promql::Vector> Eval(int64_t ts_ms) const override {
    query::promql::QueryParams params;
    params.start_ms = params.end_ms = ts_ms;
    params.deadline = std::chrono::steady_clock::now() + options_.timeout;
    std::unique_ptr<query::promql::Querier> querier = options_.metrics();
    auto result = engine_.Execute(*expr_, params, *querier);
    if (!result.ok()) return result.status();
    return ToVector(std::move(*result));
  }
  const std::string& text() const override { return text_; }

 private:
  query::promql::ExprPtr expr_;
  std::string text_;
  const EngineRuleQueryEngineOptions& options_;
  query::promql::Engine engine_;
};

class LogqlRuleQuery final : public RuleQuery {
 public:
  LogqlRuleQuery(query::logql::ExprPtr expr, const EngineRuleQueryEngineOptions& options)
      : expr_(std::move(expr)),
        text_(query::logql::ToString(*expr_)),
        options_(options),
        engine_(options.logql) {}

  Result<query::promql::Vector> Eval(int64_t ts_ms) const override {
    query::logql::QueryParams params;
    params.start_ns = params.end_ns = ts_ms * 1'000'000;
    params.deadline = std::chrono::steady_clock::now() + options_.timeout;
    std::unique_ptr<query::logql::LogReader> reader = options_.logs();
    auto result = engine_.Execute(*expr_, params, *reader);
    if (!result.ok()) return result.status();
    if (result->is_log) return Status::InvalidArgument("rule result is not a vector or scalar");
    return ToVector(std::move(result->metric));
  }
  const std::string& text() const override { return text_; }

 private:
  query::logql::ExprPtr expr_;
  std::string text_;
  const EngineRuleQueryEngineOptions& options_;
  query::logql::Engine engine_;
};

class EngineRuleQueryEngine final : public RuleQueryEngine {
 public:
  explicit EngineRuleQueryEngine(EngineRuleQueryEngineOptions options)
      : options_(std::move(options)) {}

  Result<std::unique_ptr<RuleQuery>> Prepare(std::string_view expr,
                                             RuleLanguage language) const override {
    if (language == RuleLanguage::kPromQL) {
      auto parsed = query::promql::ParseExpr(expr);
      if (!parsed.ok()) return parsed.status();
      return std::unique_ptr<RuleQuery>(new PromqlRuleQuery(std::move(*parsed), options_));
    }
    auto parsed = query::logql::ParseExpr(expr);
    if (!parsed.ok()) return parsed.status();
    if (query::logql::IsLogQuery(**parsed)) {
      return Status::InvalidArgument("rule expression is a log query; rules need a metric query");
    }
    return std::unique_ptr<RuleQuery>(new LogqlRuleQuery(std::move(*parsed), options_));
  }

 private:
  EngineRuleQueryEngineOptions options_;
};

}  // namespace

std::unique_ptr<RuleQueryEngine> MakeEngineRuleQueryEngine(EngineRuleQueryEngineOptions options) {
  return std::make_unique<EngineRuleQueryEngine>(std::move(options));
}

Status MetricStoreSampleSink::Append(const std::vector<RuleSample>& samples) {
  if (samples.empty()) return Status::Ok();
  storage::MetricBatch batch(tenant_);
  std::vector<storage::LabelView> views;
  for (const RuleSample& s : samples) {
    views.clear();
    for (const auto& l : s.labels) {
      if (!l.value.empty()) views.push_back(storage::LabelView{l.name, l.value});
    }
    batch.AddSample(batch.AddSeries(views), s.timestamp_ms, s.value);
  }
  std::promise<Status> written;
  auto future = written.get_future();
  store_.Write(batch, [&written](const Status& s) { written.set_value(s); });
  return future.get();
}

}  // namespace sluice::alerting
