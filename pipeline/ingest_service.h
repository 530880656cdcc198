// IngestService: the log write path between the HTTP handlers and the shards.
//
//   IO thread: Submit(request) --lock-free queue--> worker (one of N): decode with its own simdjson
//   parser into its reused LogBatch, validate, LogStore::Write (encode per shard, queue to the
//   shard writers) --> shard writers make it durable --> `done` runs (on a shard writer thread).
//
// No mutex on the path: the queue is moodycamel's ConcurrentQueue, each worker owns its parser
// and batch, each shard has a single writer. (A tenant with an ingest rate limit costs one short
// critical section per request, in the RateLimiter.)
//
// Limits are by tenant (LimitsTable): what entries and series may look like, checked while
// decoding; then, once a request is decoded and before any of it goes to the shards, the streams
// (series) the tenant may have and the rate of log bytes and samples. A request over either is
// refused as a whole with ResourceExhausted, nothing stored, so that the sender may retry it
// later. Memory is bounded upstream by AdmissionBudget: a request is admitted before its body is
// read and released when `done` has run.
//
// The stream (series) cap is approximate under concurrency: it counts what the shards hold when
// the request is checked, so requests decoded at the same time, each within the cap alone, may
// pass it together by the new streams they bring. Checking costs one shared lock per shard, plus
// one per stream (series) of the request when the tenant is near its cap; nothing without a cap.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "pipeline/decoders/es_bulk.h"
#include "pipeline/decoders/otlp_logs.h"
#include "pipeline/field_mapping.h"
#include "pipeline/ingest_limits.h"
#include "pipeline/metric_validation.h"
#include "pipeline/rate_limiter.h"
#include "pipeline/tenant_limits.h"
#include "storage/log_store.h"
#include "storage/metric_store.h"

namespace sluice::pipeline {

enum class IngestFormat {
  kLokiJson,
  kLokiProto,
  kEsBulk,
  kJsonLines,
  kOtlpJson,
  kOtlpProto,
  kJsonLinesLenient,  // the TCP listener: bad lines are skipped and counted, not fatal
  // Metrics (to the MetricStore):
  kRemoteWrite,
  kVmImport,
  kInflux,
  kOtlpMetricsJson,
  kOtlpMetricsProto,
};

inline bool IsMetricsFormat(IngestFormat f) { return f >= IngestFormat::kRemoteWrite; }

std::string_view IngestFormatName(IngestFormat format);

struct IngestRequest {
  std::string tenant;
  IngestFormat format = IngestFormat::kLokiJson;
  // Padded (pipeline::kParsePadding spare bytes), as HttpRequest::body is.
  std::string body;
  bool snappy_already_undone = false;  // Loki protobuf sent with Content-Encoding: snappy
  FieldMapping mapping;                // bulk, JSON lines
  std::string default_index;           // bulk: /{index}/_bulk
  std::string influx_precision;        // Influx: the precision argument ("": guessed per timestamp)
  std::string influx_db;               // Influx: the db argument (becomes label db)
};

// The tenant limit that refused a request as a whole.
enum class IngestLimit {
  kNone,
  kRateBytes,    // limits.ingest_rate_bytes
  kRateSamples,  // limits.ingest_rate_samples
  kStreams,      // limits.max_global_streams_per_user
  kSeries,       // limits.max_global_series_per_user
};
// The limit's key under `limits:` ("" for kNone).
std::string_view IngestLimitName(IngestLimit limit);

struct IngestResult {
  // OK: everything valid is durable. InvalidArgument: the request was refused as a whole (nothing
  // stored). ResourceExhausted with `limit` set: over that tenant limit (nothing stored; retry
  // later). Other codes: storage failed (nothing acknowledged).
  Status status;
  IngestLimit limit = IngestLimit::kNone;
  std::vector<BulkItem> bulk_items;  // kEsBulk: one per action, in order
  OtlpResult otlp;                   // kOtlp*, kJsonLinesLenient: entries rejected one by one
  MetricDecodeResult metrics;        // metrics formats: series (lines, points) rejected one by one
  size_t entries = 0;                // entries (metrics: samples) stored
};

struct IngestServiceOptions {
  int workers = 1;
  LimitsTable limits;
  OtlpOptions otlp;
  size_t max_decoded_bytes = 256 << 20;  // bounds snappy inside Loki's protobuf push
};

class IngestService {
 public:
  using Done = std::function<void(IngestResult)>;

  // `metric_store` may be null: metrics formats are then refused.
  IngestService(storage::LogStore& store, storage::MetricStore* metric_store,
                const IngestServiceOptions& options, prometheus::Registry& registry,
                const Clock& clock = Clock::Real());
  ~IngestService();

  void Start();
  // Finishes the queued requests, then stops the workers. Later Submits answer Unavailable.
  void Stop();

  // Thread-safe, never blocks. `done` runs exactly once, on a worker or shard writer thread.
  void Submit(IngestRequest request, Done done);

  // Applies new limits to requests decoded from now on (config reload).
  void SetLimits(LimitsTable limits);

  // Decodes and stores synchronously on the calling thread (the TCP listener's connections,
  // tests). `json` is the caller's own parser. Log formats only.
  void Process(IngestRequest& request, simdjson::ondemand::parser& json, storage::LogBatch& batch,
               Done done);
  // The same for the metrics formats.
  void ProcessMetrics(IngestRequest& request, simdjson::ondemand::parser& json,
                      storage::MetricBatch& batch, Done done);

 private:
  struct Job;
  struct Metrics;
  void WorkerLoop(size_t index);

  storage::LogStore& store_;
  storage::MetricStore* metric_store_;
  const IngestServiceOptions options_;
  const Clock& clock_;
  // Refuses a decoded request of `tenant` holding `amount` when over `limit` (see RateLimiter).
  Status CheckRate(const std::string& tenant, std::string_view what, double amount,
                   const RateLimit& limit);
  // Refuses a decoded request whose new streams (series) would take its tenant past `cap`.
  Status CheckStreamCap(const storage::LogBatch& batch, uint64_t cap) const;
  Status CheckSeriesCap(const storage::MetricBatch& batch, uint64_t cap) const;

  std::shared_ptr<const LimitsTable> limits_;  // swapped atomically on reload
  RateLimiter rates_;
  std::unique_ptr<Metrics> metrics_;
  struct Queue;
  std::unique_ptr<Queue> queue_;
  std::vector<std::thread> workers_;
  std::atomic<bool> accepting_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace sluice::pipeline
