// What rule evaluation reads and writes: the instant value of a rule's expression (PromQL over
// the metric store, LogQL over the log store), and the samples rules write back (recording rule
// results, ALERTS, ALERTS_FOR_STATE) into Sluice's own time-series storage.
//
// Interfaces so that rule evaluation is testable with the real engines over in-memory data.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/alerting_rule.h"
#include "alerting/rule_file.h"
#include "base/result.h"
#include "query/logql_engine.h"
#include "query/promql_engine.h"
#include "query/promql_value.h"
#include "storage/metric_store.h"

namespace sluice::alerting {

// A parsed rule expression, ready to be evaluated again and again.
class RuleQuery {
 public:
  virtual ~RuleQuery() = default;
  // The expression's instant vector at `ts_ms`; a scalar result becomes one sample without
  // labels, as Prometheus' rule query function does. Other result types are errors.
  virtual Result<query::promql::Vector> Eval(int64_t ts_ms) const = 0;
  // The expression as Prometheus prints it (the rules API's `query`, the generator URL).
  virtual const std::string& text() const = 0;
};

class RuleQueryEngine {
 public:
  virtual ~RuleQueryEngine() = default;
  virtual Result<std::unique_ptr<RuleQuery>> Prepare(std::string_view expr,
                                                     RuleLanguage language) const = 0;
};

// Writes samples durably (returns once they are in the write-ahead log).
class RuleSampleSink {
 public:
  virtual ~RuleSampleSink() = default;
  virtual Status Append(const std::vector<RuleSample>& samples) = 0;
};

// The daemon's engine: PromQL through `metrics()` queriers, LogQL through `logs()` readers (each
// makes one per evaluation), every query bounded by `timeout`.
struct EngineRuleQueryEngineOptions {
  query::promql::EngineOptions promql;
  query::logql::EngineOptions logql;
  std::chrono::milliseconds timeout{60'000};
  std::function<std::unique_ptr<query::promql::Querier>()> metrics;
  std::function<std::unique_ptr<query::logql::LogReader>()> logs;
};
std::unique_ptr<RuleQueryEngine> MakeEngineRuleQueryEngine(EngineRuleQueryEngineOptions options);

// Writes into one tenant of the MetricStore.
class MetricStoreSampleSink final : public RuleSampleSink {
 public:
  MetricStoreSampleSink(storage::MetricStore& store, std::string tenant)
      : store_(store), tenant_(std::move(tenant)) {}
  Status Append(const std::vector<RuleSample>& samples) override;

 private:
  storage::MetricStore& store_;
  const std::string tenant_;
};

}  // namespace sluice::alerting
