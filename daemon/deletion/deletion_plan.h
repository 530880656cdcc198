// From delete requests to what the storage engines apply (storage/deletion.h): the query of a
// request compiled once into label matchers and a line predicate, and the DeletionPlan over a set
// of them, per tenant, that LogStore and MetricStore use for their read filter and their purge.
//
// Log queries are read as Loki's parseDeletionQuery reads them (pkg/compactor/deletion/util.go):
// a LogQL log query whose stream selector has a matcher that does not match the empty string,
// with its errors prefixed "invalid query expression: ". Loki runs a whole pipeline per line and
// deletes the lines it keeps; Sluice accepts line filters only (|=, !=, |~, !~, |>, !>, ip(),
// `or`), since the storage's line predicate sees the line and not its structured metadata, and
// refuses parsers, label filters and formatting stages rather than delete something else than
// asked.
//
// Thread-safety: compiled requests are immutable; the plans are called from shard writer and
// query threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "daemon/deletion/delete_request_store.h"
#include "storage/deletion.h"
#include "storage/label_matcher.h"

namespace sluice::query::logql {
class Pipeline;
}  // namespace sluice::query::logql

namespace sluice::daemon {

// What one delete request deletes, in the unit of its engine.
struct CompiledDelete {
  // A stream or series is deleted from when it matches every matcher of any one set (logs: one
  // set; metrics: one per match[]).
  std::vector<storage::LabelMatchers> selectors;
  // Logs: the line filters, or null when the query has none (every line in range is deleted).
  std::shared_ptr<const query::logql::Pipeline> line_filter;
  // Inclusive, nanoseconds for logs, milliseconds for metrics.
  int64_t start = 0;
  int64_t end = 0;
};

// A Loki delete query: InvalidArgument with Loki's text ("invalid query expression: parse error
// ...", "invalid query expression: only log selector is supported") or with the stage Sluice
// refuses. The times are left 0.
Result<CompiledDelete> CompileLogDeleteQuery(std::string_view query);

// Prometheus' match[] selectors (`up{job="x"}`, `{__name__=~"a.*"}`): InvalidArgument with the
// parser's error, or when a selector's matchers all match the empty string (it would delete every
// series of the tenant; Prometheus' other match[] endpoints refuse it too).
Result<std::vector<storage::LabelMatchers>> CompileSeriesSelectors(
    const std::vector<std::string>& selectors);

// A stored request compiled, with its times converted to its engine's unit.
Result<CompiledDelete> CompileDeleteRequest(const DeleteRequest& request);

// Compiled requests by tenant.
using DeletionSet = std::map<std::string, std::vector<CompiledDelete>, std::less<>>;

// The plan that deletes what `set` names; an empty plan (nullptr) for an empty set, so that the
// stores skip the read filter altogether.
storage::DeletionPlan MakeDeletionPlan(DeletionSet set);

}  // namespace sluice::daemon
