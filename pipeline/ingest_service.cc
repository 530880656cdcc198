#include "pipeline/ingest_service.h"

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <pthread.h>

#include "pipeline/buffer_pool.h"
#include "pipeline/content_decoding.h"
#include "pipeline/decoders/influx_line.h"
#include "pipeline/decoders/json_lines.h"
#include "pipeline/decoders/loki_push_json.h"
#include "pipeline/decoders/loki_push_proto.h"
#include "pipeline/decoders/otlp_metrics.h"
#include "pipeline/decoders/remote_write.h"
#include "pipeline/decoders/vm_import.h"

namespace sluice::pipeline {

std::string_view IngestFormatName(IngestFormat format) {
  switch (format) {
    case IngestFormat::kLokiJson:
      return "loki_json";
    case IngestFormat::kLokiProto:
      return "loki_protobuf";
    case IngestFormat::kEsBulk:
      return "elasticsearch_bulk";
    case IngestFormat::kJsonLines:
      return "jsonline";
    case IngestFormat::kOtlpJson:
      return "otlp_json";
    case IngestFormat::kOtlpProto:
      return "otlp_protobuf";
    case IngestFormat::kJsonLinesLenient:
      return "tcp_jsonline";
    case IngestFormat::kRemoteWrite:
      return "prometheus_remote_write";
    case IngestFormat::kVmImport:
      return "vm_import";
    case IngestFormat::kInflux:
      return "influx";
    case IngestFormat::kOtlpMetricsJson:
      return "otlp_metrics_json";
    case IngestFormat::kOtlpMetricsProto:
      return "otlp_metrics_protobuf";
  }
  return "unknown";
}

std::string_view IngestLimitName(IngestLimit limit) {
  switch (limit) {
    case IngestLimit::kNone:
      return "";
    case IngestLimit::kRateBytes:
      return "ingest_rate_bytes";
    case IngestLimit::kRateSamples:
      return "ingest_rate_samples";
    case IngestLimit::kStreams:
      return "max_global_streams_per_user";
    case IngestLimit::kSeries:
      return "max_global_series_per_user";
  }
  return "";
}

struct IngestService::Job {
  IngestRequest request;
  Done done;
};

struct IngestService::Queue {
  moodycamel::BlockingConcurrentQueue<Job> jobs;
};

// sluice_ingest_requests_total{format,outcome} (outcome="limited" also has `limit`, the limits key
// that refused the request), sluice_ingest_entries_total{format},
// sluice_ingest_decode_seconds{format}.
struct IngestService::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : requests(prometheus::BuildCounter()
                     .Name("sluice_ingest_requests_total")
                     .Help("Ingest requests by wire format and outcome (ok, invalid, "
                           "failed, unavailable, limited: refused by the tenant limit `limit`).")
                     .Register(registry)),
        entries(prometheus::BuildCounter()
                    .Name("sluice_ingest_entries_total")
                    .Help("Log entries (metrics: samples) accepted, by wire format.")
                    .Register(registry)),
        rejected(prometheus::BuildCounter()
                     .Name("sluice_ingest_entries_rejected_total")
                     .Help("Log entries (metrics: series, lines or data points) refused one by "
                           "one, by format.")
                     .Register(registry)),
        decode(prometheus::BuildHistogram()
                   .Name("sluice_ingest_decode_seconds")
                   .Help("Time a worker spends decoding and validating one request, by format.")
                   .Register(registry)) {
    for (int f = 0; f < kFormats; ++f) {
      auto format = std::string(IngestFormatName(static_cast<IngestFormat>(f)));
      for (const char* outcome : {"ok", "invalid", "failed", "unavailable"}) {
        by_outcome[f][Index(outcome)] = &requests.Add({{"format", format}, {"outcome", outcome}});
      }
      for (int l = 1; l <= kLimits; ++l) {
        auto limit = std::string(IngestLimitName(static_cast<IngestLimit>(l)));
        limited[f][l - 1] =
            &requests.Add({{"format", format}, {"outcome", "limited"}, {"limit", limit}});
      }
      entries_by_format[f] = &entries.Add({{"format", format}});
      rejected_by_format[f] = &rejected.Add({{"format", format}});
      decode_by_format[f] = &decode.Add({{"format", format}},
                                        prometheus::Histogram::BucketBoundaries{
                                            0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1});
    }
  }
  static size_t Index(std::string_view outcome) {
    return outcome == "ok" ? 0 : outcome == "invalid" ? 1 : outcome == "failed" ? 2 : 3;
  }
  void Count(IngestFormat format, const IngestResult& r) {
    auto f = static_cast<size_t>(format);
    if (!r.status.ok() && r.limit != IngestLimit::kNone) {
      limited[f][static_cast<size_t>(r.limit) - 1]->Increment();
      return;
    }
    const char* outcome = r.status.ok()                                     ? "ok"
                          : r.status.code() == StatusCode::kInvalidArgument ? "invalid"
                          : r.status.code() == StatusCode::kUnavailable     ? "unavailable"
                                                                            : "failed";
    by_outcome[f][Index(outcome)]->Increment();
    if (r.status.ok()) {
      entries_by_format[f]->Increment(static_cast<double>(r.entries));
      int64_t rejected_here = r.otlp.rejected + r.metrics.rejected_series;
      for (const BulkItem& item : r.bulk_items) rejected_here += item.status >= 300 ? 1 : 0;
      if (rejected_here > 0) rejected_by_format[f]->Increment(static_cast<double>(rejected_here));
    }
  }

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Counter>& entries;
  prometheus::Family<prometheus::Counter>& rejected;
  prometheus::Family<prometheus::Histogram>& decode;
  static constexpr int kFormats = static_cast<int>(IngestFormat::kOtlpMetricsProto) + 1;
  static constexpr int kLimits = static_cast<int>(IngestLimit::kSeries);
  prometheus::Counter* by_outcome[kFormats][4]{};
  prometheus::Counter* limited[kFormats][kLimits]{};
  prometheus::Counter* entries_by_format[kFormats]{};
  prometheus::Counter* rejected_by_format[kFormats]{};
  prometheus::Histogram* decode_by_format[kFormats]{};
};

IngestService::IngestService(storage::LogStore& store, storage::MetricStore* metric_store,
                             const IngestServiceOptions& options, prometheus::Registry& registry,
                             const Clock& clock)
    : store_(store),
      metric_store_(metric_store),
      options_(options),
      clock_(clock),
      limits_(std::make_shared<const LimitsTable>(options.limits)),
      rates_(clock),
      metrics_(std::make_unique<Metrics>(registry)),
      queue_(std::make_unique<Queue>()) {}

IngestService::~IngestService() { Stop(); }

void IngestService::Start() {
  accepting_ = true;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this, i] {
      pthread_setname_np(pthread_self(), fmt::format("sluice-ingest-{}", i).c_str());
      WorkerLoop(static_cast<size_t>(i));
    });
  }
}

void IngestService::Stop() {
  if (workers_.empty()) return;
  accepting_ = false;
  stopping_ = true;
  for (auto& t : workers_) t.join();
  workers_.clear();
  // Whatever raced in after the workers looked last is refused, never dropped silently.
  Job job;
  while (queue_->jobs.try_dequeue(job)) {
    IngestResult r;
    r.status = Status::Unavailable("shutting down");
    job.done(std::move(r));
  }
}

void IngestService::SetLimits(LimitsTable limits) {
  std::atomic_store(&limits_, std::make_shared<const LimitsTable>(std::move(limits)));
}

Status IngestService::CheckRate(const std::string& tenant, std::string_view what, double amount,
                                const RateLimit& limit) {
  if (limit.unlimited()) return Status::Ok();
  double wait = rates_.Take(tenant + '\0' + std::string(what), amount, limit);
  if (wait <= 0) return Status::Ok();
  // Loki's wording, with the limit's config key.
  return Status::ResourceExhausted(fmt::format(
      "ingestion rate limit exceeded for tenant {} (limit: {:.0f} {} per second, burst {:.0f}) "
      "while attempting to ingest {:.0f} {}; retry in {:.1f} s or ask for a higher limit "
      "(limits.{})",
      tenant, limit.per_second, what, limit.bucket_size(), amount, what, wait,
      what == "bytes" ? "ingest_rate_bytes" : "ingest_rate_samples"));
}

Status IngestService::CheckStreamCap(const storage::LogBatch& batch, uint64_t cap) const {
  if (cap == 0) return Status::Ok();
  const std::string& tenant = batch.tenant();
  const size_t stored = store_.StreamCount(tenant);
  // Within the cap even if every stream were new: no need to look them up.
  if (stored + batch.streams().size() <= cap) return Status::Ok();
  std::vector<bool> written(batch.streams().size(), false);
  for (const storage::LogEntry& e : batch.entries()) written[e.stream] = true;
  size_t created = 0;
  const storage::LogStream* first = nullptr;
  for (uint32_t s = 0; s < batch.streams().size(); ++s) {
    if (!written[s] || store_.HasStream(tenant, batch.streams()[s])) continue;
    if (first == nullptr) first = &batch.streams()[s];
    ++created;
  }
  if (created == 0 || stored + created <= cap) return Status::Ok();
  // Loki's wording (what its clients recognize), then the limit's config key and the counts.
  return Status::ResourceExhausted(fmt::format(
      "Maximum active stream limit exceeded when trying to create stream {}, reduce the number of "
      "active streams (reduce labels or reduce label values), or contact your Loki administrator "
      "to see if the limit can be increased, user: '{}' (limits.max_global_streams_per_user: {}; "
      "the tenant has {} streams and this request would add {})",
      storage::LabelsToString(first->labels), tenant, cap, stored, created));
}

Status IngestService::CheckSeriesCap(const storage::MetricBatch& batch, uint64_t cap) const {
  if (cap == 0 || metric_store_ == nullptr) return Status::Ok();
  const size_t stored = metric_store_->SeriesCount(batch.tenant());
  if (stored + batch.series().size() <= cap) return Status::Ok();
  std::vector<bool> written(batch.series().size(), false);
  for (const storage::MetricSampleRef& sample : batch.samples()) written[sample.series] = true;
  size_t created = 0;
  int64_t first = -1;
  for (uint32_t s = 0; s < batch.series().size(); ++s) {
    if (!written[s] || metric_store_->HasSeries(batch, s)) continue;
    if (first < 0) first = s;
    ++created;
  }
  if (created == 0 || stored + created <= cap) return Status::Ok();
  // Mimir's wording, then the series, the limit's config key and the counts.
  return Status::ResourceExhausted(fmt::format(
      "per-user series limit of {} exceeded when trying to create series {}, user: '{}' "
      "(limits.max_global_series_per_user; the tenant has {} series and this request would add "
      "{}); reduce the number of series or ask for a higher limit",
      cap, storage::LabelsToString(batch.SeriesLabelsCopy(static_cast<uint32_t>(first))),
      batch.tenant(), stored, created));
}

void IngestService::Submit(IngestRequest request, Done done) {
  if (!accepting_.load()) {
    IngestResult r;
    r.status = Status::Unavailable("shutting down");
    metrics_->Count(request.format, r);
    done(std::move(r));
    return;
  }
  queue_->jobs.enqueue(Job{std::move(request), std::move(done)});
}

void IngestService::WorkerLoop(size_t) {
  simdjson::ondemand::parser json;
  storage::LogBatch batch;
  storage::MetricBatch metric_batch;
  Job job;
  while (true) {
    if (!queue_->jobs.wait_dequeue_timed(job, std::chrono::milliseconds(100))) {
      if (stopping_.load()) break;
      continue;
    }
    if (IsMetricsFormat(job.request.format)) {
      ProcessMetrics(job.request, json, metric_batch, std::move(job.done));
    } else {
      Process(job.request, json, batch, std::move(job.done));
    }
    job = Job{};
  }
}

void IngestService::Process(IngestRequest& request, simdjson::ondemand::parser& json,
                            storage::LogBatch& batch, Done done) {
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const LimitsTable> table = std::atomic_load(&limits_);
  const TenantLimits& limits = table->For(request.tenant);
  DecodeContext ctx{clock_.NowNanos(), &limits.logs, &json};
  batch.Clear();
  batch.set_tenant(request.tenant);
  IngestResult result;
  Status decoded;
  switch (request.format) {
    case IngestFormat::kLokiJson:
      decoded = DecodeLokiPushJson(request.body, ctx, &batch);
      break;
    case IngestFormat::kLokiProto:
      decoded = DecodeLokiPushProto(request.body, request.snappy_already_undone,
                                    options_.max_decoded_bytes, ctx, &batch);
      break;
    case IngestFormat::kEsBulk: {
      BulkRequest bulk{&request.mapping, request.default_index};
      decoded = DecodeEsBulk(request.body, bulk, ctx, &batch, &result.bulk_items);
      break;
    }
    case IngestFormat::kJsonLines:
      decoded = DecodeJsonLines(request.body, request.mapping, ctx, &batch);
      break;
    case IngestFormat::kJsonLinesLenient:
      DecodeJsonLinesLenient(request.body, request.mapping, ctx, &batch, &result.otlp.rejected,
                             &result.otlp.error_message);
      break;
    case IngestFormat::kOtlpJson:
      decoded = DecodeOtlpLogsJson(request.body, options_.otlp, ctx, &batch, &result.otlp);
      break;
    case IngestFormat::kOtlpProto:
      decoded = DecodeOtlpLogsProto(request.body, options_.otlp, ctx, &batch, &result.otlp);
      break;
    default:
      decoded = Status::Internal("a metrics format sent to the log pipeline");
      break;
  }
  metrics_->decode_by_format[static_cast<size_t>(request.format)]->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  // The cap before the rate: a request the cap refuses takes nothing from the tenant's bucket.
  if (decoded.ok()) {
    decoded = CheckStreamCap(batch, limits.max_streams);
    if (!decoded.ok()) result.limit = IngestLimit::kStreams;
  }
  if (decoded.ok() && !limits.log_bytes.unlimited()) {
    uint64_t bytes = 0;
    for (const storage::LogEntry& e : batch.entries()) bytes += e.line.size + e.metadata.size;
    decoded = CheckRate(request.tenant, "bytes", static_cast<double>(bytes), limits.log_bytes);
    if (!decoded.ok()) result.limit = IngestLimit::kRateBytes;
  }
  if (!decoded.ok()) {
    BufferPool::RequestBodies().Give(std::move(request.body));
    result.status = decoded;
    result.bulk_items.clear();
    metrics_->Count(request.format, result);
    done(std::move(result));
    return;
  }
  result.entries = batch.entries().size();
  IngestFormat format = request.format;
  Metrics* metrics = metrics_.get();
  // The body is no longer needed: the WAL records hold copies. Hand it back before the write waits.
  BufferPool::RequestBodies().Give(std::move(request.body));
  store_.Write(batch, [metrics, format, result = std::move(result),
                       done = std::move(done)](const Status& written) mutable {
    result.status = written;
    metrics->Count(format, result);
    done(std::move(result));
  });
}

void IngestService::ProcessMetrics(IngestRequest& request, simdjson::ondemand::parser& json,
                                   storage::MetricBatch& batch, Done done) {
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const LimitsTable> table = std::atomic_load(&limits_);
  const TenantLimits& limits = table->For(request.tenant);
  MetricDecodeContext ctx{clock_.NowNanos() / 1'000'000, &limits.metrics, &json};
  batch.Clear();
  batch.set_tenant(request.tenant);
  IngestResult result;
  Status decoded;
  std::string uncompressed;
  switch (request.format) {
    case IngestFormat::kRemoteWrite: {
      std::string_view body = request.body;
      if (!request.snappy_already_undone) {
        // The protocol mandates snappy whatever the headers say.
        decoded = SnappyUncompress(request.body, options_.max_decoded_bytes, uncompressed);
        if (!decoded.ok()) {
          decoded = Status(decoded.code(),
                           "remote write body is not snappy-compressed: " + decoded.message());
          break;
        }
        body = uncompressed;
      }
      decoded = DecodeRemoteWrite(body, ctx, &batch, &result.metrics);
      break;
    }
    case IngestFormat::kVmImport:
      decoded = DecodeVmImport(request.body, ctx, &batch, &result.metrics);
      break;
    case IngestFormat::kInflux: {
      InfluxOptions influx{request.influx_precision, request.influx_db};
      decoded = DecodeInfluxLines(request.body, influx, ctx, &batch, &result.metrics);
      break;
    }
    case IngestFormat::kOtlpMetricsJson:
      decoded = DecodeOtlpMetricsJson(request.body, ctx, &batch, &result.metrics);
      break;
    case IngestFormat::kOtlpMetricsProto:
      decoded = DecodeOtlpMetricsProto(request.body, ctx, &batch, &result.metrics);
      break;
    default:
      decoded = Status::Internal("a log format sent to the metrics pipeline");
      break;
  }
  if (decoded.ok() && metric_store_ == nullptr) {
    decoded = Status::Unavailable("metrics storage is not enabled");
  }
  if (decoded.ok()) {
    decoded = CheckSeriesCap(batch, limits.max_series);
    if (!decoded.ok()) result.limit = IngestLimit::kSeries;
  }
  if (decoded.ok()) {
    decoded = CheckRate(request.tenant, "samples", static_cast<double>(batch.samples().size()),
                        limits.samples);
    if (!decoded.ok()) result.limit = IngestLimit::kRateSamples;
  }
  metrics_->decode_by_format[static_cast<size_t>(request.format)]->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  BufferPool::RequestBodies().Give(std::move(request.body));
  if (!decoded.ok()) {
    result.status = decoded;
    metrics_->Count(request.format, result);
    done(std::move(result));
    return;
  }
  result.entries = batch.samples().size();
  IngestFormat format = request.format;
  Metrics* metrics = metrics_.get();
  metric_store_->Write(batch, [metrics, format, result = std::move(result),
                               done = std::move(done)](const Status& written) mutable {
    result.status = written;
    metrics->Count(format, result);
    done(std::move(result));
  });
}

}  // namespace sluice::pipeline
