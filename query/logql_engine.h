// The LogQL engine: runs a parsed query over one tenant's log streams, with Loki's semantics.
//
// Log queries (a selector and its pipeline) return streams: entries with start <= ts < end,
// the `limit` newest (backward) or oldest (forward) across all streams, each stream's entries in
// that direction. A stream is scanned in the requested direction and stops as soon as it cannot
// add an entry newer (older) than the `limit` already kept.
//
// Metric queries: each range aggregation (`count_over_time({...} |= "x" [5m])`) is computed
// here, from the entries the pipeline keeps, at every step (windows (t - range - offset,
// t - offset], as Loki's range iterators); the rest of the expression — vector aggregations,
// binary operators with their matching rules, label_replace, vector(), numbers — is handed to the
// PromQL engine with each range aggregation standing in as a series selector that sees exactly
// its step values. One implementation of aggregation and vector matching serves both languages.
// Metric results have millisecond timestamps, as the PromQL engine's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "query/logql_ast.h"
#include "query/promql_engine.h"
#include "query/promql_value.h"
#include "storage/label_matcher.h"
#include "storage/log_store.h"

namespace sluice::query::logql {

// Where the engine reads streams from: one tenant of the LogStore (LogStoreReader below), or an
// in-memory fixture in tests. Scan may be called from several threads at once (one per
// EngineOptions::parallelism), on different streams.
class LogReader {
 public:
  virtual ~LogReader() = default;
  // Streams matching every matcher with data overlapping [start, end).
  virtual std::vector<storage::StreamInfo> SelectStreams(const storage::LabelMatchers& matchers,
                                                         int64_t start, int64_t end) = 0;
  // Entries of `stream` with start <= ts < end in `direction`; the visitor returns false to stop.
  virtual Status Scan(const storage::StreamInfo& stream, int64_t start, int64_t end,
                      storage::Direction direction, const storage::EntryVisitor& visit) = 0;
};

struct EngineOptions {
  // Streams a query may select (after matching); 0: no limit. Loki: max_query_series applies to
  // metric results; Sluice bounds the streams read, which bounds both.
  size_t max_streams = 0;
  // Series in a metric query's result; 0: no limit (Loki's max_query_series, default 500).
  size_t max_series = 500;
  // Series one range aggregation may hold before the expression around it reduces them (memory:
  // each holds a value per step); 0: no limit. A `sum` around a count, rate, bytes or
  // sum_over_time is pushed down, so that only its groups count.
  size_t max_range_series = 100'000;
  // Samples the PromQL part may hold at once.
  uint64_t max_samples = 50'000'000;
  // Threads that scan one query's streams; 0: one per core. Each scans its share of the streams
  // with its own pipeline state; their results are merged.
  size_t parallelism = 0;
};

struct QueryParams {
  int64_t start_ns = 0;
  int64_t end_ns = 0;   // log queries: exclusive; metric range queries: the last step
  int64_t step_ns = 0;  // metric range queries; 0 for an instant query (at start_ns == end_ns)
  storage::Direction direction = storage::Direction::kBackward;
  size_t limit = 100;  // log queries: entries across all streams
  // Log queries: return an entry only when it is at least this far (in the direction) from the
  // last one returned, across all streams (Loki's `interval`); 0 returns every entry.
  int64_t interval_ns = 0;
  // Stream labels hold only the stream's (indexed) labels; entries carry their structured
  // metadata and parsed labels apart (X-Loki-Response-Encoding-Flags: categorize-labels).
  bool categorize_labels = false;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancelled = nullptr;
  const std::atomic<bool>* client_gone = nullptr;
};

struct Entry {
  int64_t timestamp_ns = 0;
  std::string line;
  storage::Labels structured_metadata;  // categorize_labels only
  storage::Labels parsed;               // categorize_labels only
};

struct Stream {
  storage::Labels labels;
  std::vector<Entry> entries;
};

// Loki's `stats.summary` and the figures behind it.
struct QueryStats {
  uint64_t streams_selected = 0;
  uint64_t lines_processed = 0;  // entries read from storage
  uint64_t bytes_processed = 0;  // their line bytes
  uint64_t lines_returned = 0;   // log queries: entries in the result
  double exec_seconds = 0;
};

struct QueryResult {
  bool is_log = false;  // streams; otherwise `metric` holds a vector, matrix or scalar
  std::vector<Stream> streams;
  promql::QueryResult metric;
  QueryStats stats;
  std::vector<std::string> warnings;
};

// Loki's refusal (ResourceExhausted) of a metric query whose result has more than `max_series`
// series, naming the limit (limits.max_query_series).
Status TooManySeries(size_t max_series);

class Engine {
 public:
  explicit Engine(EngineOptions options = {}) : options_(options) {}

  // InvalidArgument for errors in the query's meaning (Loki's text, answered as 400);
  // ResourceExhausted for limits; DeadlineExceeded and Cancelled.
  Result<QueryResult> Execute(const Expr& expr, const QueryParams& params, LogReader& reader) const;

  const EngineOptions& options() const { return options_; }

 private:
  EngineOptions options_;
};

// LogReader over one tenant of a LogStore.
class LogStoreReader final : public LogReader {
 public:
  LogStoreReader(const storage::LogStore& store, std::string tenant)
      : store_(store), tenant_(std::move(tenant)) {}
  std::vector<storage::StreamInfo> SelectStreams(const storage::LabelMatchers& matchers,
                                                 int64_t start, int64_t end) override;
  Status Scan(const storage::StreamInfo& stream, int64_t start, int64_t end,
              storage::Direction direction, const storage::EntryVisitor& visit) override;

 private:
  const storage::LogStore& store_;
  const std::string tenant_;
};

}  // namespace sluice::query::logql
