#include "daemon/api/loki_tail_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "base/json_writer.h"
#include "daemon/api/ingest_common.h"
#include "daemon/api/prometheus_json.h"
#include "query/logql_parser.h"
#include "query/logql_pipeline.h"
#include "query/time_params.h"
#include "storage/metadata_codec.h"

namespace sluice::daemon {
namespace {

namespace logql = query::logql;
using storage::Labels;
using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int64_t kDefaultSince = 3600 * kNsPerSecond;  // Loki's default start: now - 1 h
constexpr int64_t kMaxDelayForSeconds = 5;              // Loki's maxDelayForInTailing
constexpr size_t kDefaultLimit = 100;
// Loki's tailer (pkg/querier/tail/tail.go): entries per message, messages buffered for a slow
// client before entries are dropped, and dropped entries remembered for the next message.
constexpr size_t kMaxEntriesPerMessage = 100;
constexpr size_t kMaxQueuedMessages = 10;
constexpr size_t kMaxDroppedEntries = 1000;
// One slice of work on the IO thread: entries read from storage, and (after the first pass)
// entries kept for sending, before the tail yields the thread and continues in a later slice.
constexpr size_t kEntriesReadPerSlice = 20'000;
constexpr size_t kEntriesKeptPerSlice = kMaxEntriesPerMessage * kMaxQueuedMessages;
// A slice that continues a pass waits this long when messages are still queued, so the writer
// (on the same thread) gets to send them before the tail decides the client is too slow.
constexpr auto kContinueWhenQueued = std::chrono::milliseconds(20);
// Later passes look at streams with data this recent (as recent as a tail's default start): an
// entry written more than this after its timestamp, to a stream with nothing newer, is missed.
constexpr int64_t kLateWindow = 3600 * kNsPerSecond;
// RFC 6455 close codes.
constexpr uint16_t kCloseInternalError = 1011;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Loki answers errors as plain text.
HttpResponse Error(int status, std::string_view message) {
  std::string body(message);
  if (body.empty() || body.back() != '\n') body.push_back('\n');
  return HttpResponse::Text(status, std::move(body));
}

struct Api {
  LokiTailApiOptions options;
  std::atomic<size_t> active{0};
};

// A tail request, checked.
struct TailParams {
  std::string tenant;
  logql::ExprPtr expr;  // a log query: its LogSelector
  std::unique_ptr<logql::Pipeline> pipeline;
  int64_t start_ns = 0;
  int64_t delay_ns = 0;
  size_t limit = kDefaultLimit;
  bool categorize_labels = false;
  std::string query;  // for logs

  const logql::LogSelector& selector() const { return std::get<logql::LogSelector>(expr->node); }
};

Result<int64_t> IntParam(std::string_view name, std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(fmt::format("invalid {} parameter '{}'", name, text));
  }
  return value;
}

// Loki's loghttp.ParseTailQuery: query, limit, start (or since), delay_for.
Result<TailParams> ParseTailRequest(const HttpRequest& request, const LokiTailApiOptions& options,
                                    int64_t now_ns) {
  TailParams p;
  SLUICE_ASSIGN_OR_RETURN(p.tenant, RequestTenant(request, options.default_tenant));
  std::string_view text = request.params.Get("query");
  if (text.empty()) return Status::InvalidArgument("query parameter is required");
  p.query = std::string(text);
  SLUICE_ASSIGN_OR_RETURN(p.expr, logql::ParseExpr(text));
  if (!logql::IsLogQuery(*p.expr)) {
    return Status::InvalidArgument(
        "unsupported query expression: tailing needs a log query (a stream selector and its "
        "pipeline), not a metric query");
  }
  SLUICE_ASSIGN_OR_RETURN(p.pipeline, logql::Pipeline::Compile(p.selector()));

  if (std::string_view limit = request.params.Get("limit"); !limit.empty()) {
    SLUICE_ASSIGN_OR_RETURN(int64_t n, IntParam("limit", limit));
    if (n <= 0) return Status::InvalidArgument("limit must be a positive value");
    const size_t max_entries = options.limits->For(p.tenant).max_entries;
    if (static_cast<uint64_t>(n) > max_entries) {
      options.limits->CountRefusal(QueryApi::kLoki, QueryLimit::kMaxEntries);
      return Status::InvalidArgument(fmt::format(
          "max entries limit per query exceeded, limit > max_entries_limit_per_query ({} > {})", n,
          max_entries));
    }
    p.limit = static_cast<size_t>(n);
  }

  int64_t since = kDefaultSince;
  if (std::string_view s = request.params.Get("since"); !s.empty()) {
    Result<int64_t> d = logql::ParseDuration(s);
    if (!d.ok() || *d < 0) {
      return Status::InvalidArgument(fmt::format("invalid since parameter '{}'", s));
    }
    since = *d;
  }
  p.start_ns = now_ns - since;
  if (std::string_view s = request.params.Get("start"); !s.empty()) {
    Result<int64_t> t = query::ParseQueryTime(s);
    if (!t.ok()) {
      return Status::InvalidArgument(
          fmt::format("invalid start parameter '{}': {}", s, t.status().message()));
    }
    p.start_ns = *t;
  }

  if (std::string_view d = request.params.Get("delay_for"); !d.empty()) {
    SLUICE_ASSIGN_OR_RETURN(int64_t seconds, IntParam("delay_for", d));
    if (seconds > kMaxDelayForSeconds) {
      return Status::InvalidArgument(
          fmt::format("delay_for can't be greater than {}", kMaxDelayForSeconds));
    }
    if (seconds < 0) return Status::InvalidArgument("delay_for must not be negative");
    p.delay_ns = seconds * kNsPerSecond;
  }
  p.categorize_labels =
      request.headers.Get("X-Loki-Response-Encoding-Flags").find("categorize-labels") !=
      std::string_view::npos;
  return p;
}

// An entry the query keeps, waiting to be sent.
struct Kept {
  int64_t ts = 0;
  uint64_t seq = 0;  // the order entries were read in
  std::string line;
  Labels labels;    // the pipeline's output (stream labels only with categorize_labels)
  Labels metadata;  // categorize_labels only
  Labels parsed;    // categorize_labels only
};

struct Dropped {
  int64_t ts = 0;
  Labels labels;
};

// Where a stream's scan resumes: every entry before `ts` (in the scan's direction) has been read,
// and of those at `ts`, the ones whose hashes are in `read_at_ts`. Entries at one timestamp are
// told apart by content rather than position, because their order can change between scans (a
// head sealed into a block); identical entries are counted one by one.
struct Cursor {
  int64_t ts = 0;
  std::vector<uint64_t> read_at_ts;

  void Advance(int64_t entry_ts, uint64_t hash) {
    if (entry_ts != ts) {
      ts = entry_ts;
      read_at_ts.clear();
    }
    read_at_ts.push_back(hash);
  }
};

uint64_t EntryHash(std::string_view line, std::string_view metadata) {
  uint64_t h = std::hash<std::string_view>{}(line);
  return h ^
         (std::hash<std::string_view>{}(metadata) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

// Removes one `hash` from `pending`; false if it is not there (the entry was not read before).
bool TakeOne(std::vector<uint64_t>& pending, uint64_t hash) {
  auto it = std::find(pending.begin(), pending.end(), hash);
  if (it == pending.end()) return false;
  *it = pending.back();
  pending.pop_back();
  return true;
}

// One tail, on its connection's IO thread. The first pass sends the newest `limit` entries in
// [start, first horizon); every later pass reads, per stream, from its cursor up to the pass's
// horizon (now - delay_for) and sends what the pipeline keeps. Passes run every poll_interval,
// each in slices of bounded work.
class TailSession final : public WebSocketSession,
                          public std::enable_shared_from_this<TailSession> {
 public:
  TailSession(std::shared_ptr<Api> api, TailParams params)
      : api_(std::move(api)),
        store_(*api_->options.store),
        params_(std::move(params)),
        run_(*params_.pipeline) {}

  ~TailSession() override { api_->active.fetch_sub(1); }

  void OnOpen(std::shared_ptr<WebSocketConnection> connection) override {
    conn_ = std::move(connection);
    spdlog::debug("tail: started for tenant {}: {}", params_.tenant, params_.query);
    first_horizon_ = NowNs() - params_.delay_ns;
    StartPass();
    Slice();
  }

  void OnClose() override {
    spdlog::debug("tail: ended for tenant {}: {}", params_.tenant, params_.query);
    conn_.reset();
  }

 private:
  void StartPass() {
    pass_started_ = SteadyClock::now();
    horizon_ = historic_ ? first_horizon_ : NowNs() - params_.delay_ns;
    int64_t floor =
        historic_ ? params_.start_ns : std::max(params_.start_ns, horizon_ - kLateWindow);
    streams_ = store_.SelectStreams(params_.tenant, params_.selector().matchers, floor, horizon_);
    next_stream_ = 0;
  }

  // Reads until the pass is done or the slice's budget is spent, sends what it kept, and
  // schedules what comes next.
  void Slice() {
    if (!conn_ || conn_->closing()) return;
    size_t budget = kEntriesReadPerSlice;
    while (next_stream_ < streams_.size()) {
      const storage::StreamInfo& stream = streams_[next_stream_];
      Result<bool> finished = historic_ ? ReadHistoric(stream, budget) : ReadLive(stream, budget);
      if (!finished.ok()) {
        conn_->Close(kCloseInternalError, finished.status().message());
        return;
      }
      if (!*finished) break;
      ++next_stream_;
      if (budget == 0 || kept_.size() >= kEntriesKeptPerSlice) break;
    }
    const bool pass_done = next_stream_ >= streams_.size();
    if (historic_) {
      if (pass_done) SendHistoric();
    } else {
      SendLive();
    }
    auto self = shared_from_this();
    if (!pass_done) {
      auto wait = conn_->queued() > 0 ? kContinueWhenQueued : std::chrono::milliseconds(0);
      conn_->RunAfter(wait, [self] { self->Slice(); });
      return;
    }
    historic_ = false;
    streams_.clear();
    auto elapsed = SteadyClock::now() - pass_started_;
    auto wait = std::max<SteadyClock::duration>(SteadyClock::duration::zero(),
                                                api_->options.poll_interval - elapsed);
    conn_->RunAfter(wait, [self] {
      self->StartPass();
      self->Slice();
    });
  }

  // The first pass, one stream: backward from the horizon, keeping the newest `limit` entries
  // across streams (as Loki's tail starts with a backward query). Later passes take the stream
  // from just after its newest entry. Returns false when the budget ran out within the stream
  // (resume_ says where to continue).
  Result<bool> ReadHistoric(const storage::StreamInfo& stream, size_t& budget) {
    Cursor c = resume_ ? std::move(*resume_) : Cursor{first_horizon_ - 1, {}};
    resume_.reset();
    std::vector<uint64_t> seen = c.read_at_ts;
    const int64_t top = c.ts;  // entries at or before it are left
    bool out_of_budget = false;
    auto visit = [&](int64_t ts, std::string_view line, std::string_view metadata) {
      cursors_.try_emplace(std::make_pair(stream.shard, stream.id), Cursor{ts + 1, {}});
      // Entries come newest first: once one cannot beat the oldest kept, none after it can.
      if (heap_.size() >= params_.limit && ts <= heap_.front().ts) return false;
      if (budget == 0) {
        out_of_budget = true;
        return false;
      }
      uint64_t hash = EntryHash(line, metadata);
      if (ts == top && TakeOne(seen, hash)) return true;
      --budget;
      c.Advance(ts, hash);
      Kept k;
      if (!Process(stream, ts, line, metadata, &k)) return true;
      if (heap_.size() >= params_.limit) {
        std::pop_heap(heap_.begin(), heap_.end(), Newer);
        heap_.pop_back();
      }
      heap_.push_back(std::move(k));
      std::push_heap(heap_.begin(), heap_.end(), Newer);
      return true;
    };
    Status scanned =
        store_.Scan(stream, params_.start_ns, top + 1, storage::Direction::kBackward, visit);
    if (!scanned.ok() && scanned.code() != StatusCode::kNotFound) return scanned;
    if (out_of_budget) resume_ = std::move(c);
    return !out_of_budget;
  }

  // A later pass, one stream: forward from its cursor to the horizon. A stream the first pass
  // did not read had no entry in [start, first horizon) then: all it has now came since.
  // Returns false when the slice's budget ran out within the stream (its cursor says where to
  // continue).
  Result<bool> ReadLive(const storage::StreamInfo& stream, size_t& budget) {
    Cursor& c =
        cursors_.try_emplace(std::make_pair(stream.shard, stream.id), Cursor{params_.start_ns, {}})
            .first->second;
    if (stream.max_ts < c.ts) return true;  // nothing new
    std::vector<uint64_t> seen = c.read_at_ts;
    const int64_t from = c.ts;
    bool out_of_budget = false;
    auto visit = [&](int64_t ts, std::string_view line, std::string_view metadata) {
      if (budget == 0 || kept_.size() >= kEntriesKeptPerSlice) {
        out_of_budget = true;
        return false;
      }
      uint64_t hash = EntryHash(line, metadata);
      if (ts == from && TakeOne(seen, hash)) return true;
      --budget;
      c.Advance(ts, hash);
      Kept k;
      if (Process(stream, ts, line, metadata, &k)) kept_.push_back(std::move(k));
      return true;
    };
    Status scanned = store_.Scan(stream, from, horizon_, storage::Direction::kForward, visit);
    if (!scanned.ok() && scanned.code() != StatusCode::kNotFound) return scanned;
    return !out_of_budget;
  }

  // Runs the pipeline over one entry; false when it drops the entry.
  bool Process(const storage::StreamInfo& stream, int64_t ts, std::string_view line,
               std::string_view metadata, Kept* out) {
    out->ts = ts;
    out->seq = seq_++;
    if (metadata.empty() && params_.pipeline->LineFiltersOnly()) {
      if (!params_.pipeline->Matches(line)) return false;
      out->line.assign(line);
      out->labels = stream.labels;
      return true;
    }
    builder_.Reset(stream.labels);
    if (!metadata.empty() && storage::DecodeMetadata(metadata, &metadata_pairs_)) {
      for (const auto& [name, value] : metadata_pairs_) builder_.AddStructuredMetadata(name, value);
    }
    std::string_view result;
    if (!run_.Process(ts, line, builder_, &result)) return false;
    out->line.assign(result);
    if (params_.categorize_labels) {
      builder_.MaterializeCategorized(&out->labels, &out->metadata, &out->parsed);
    } else {
      builder_.Materialize(&out->labels);
    }
    return true;
  }

  // Heap order for the first pass: the top is the oldest entry kept (the one a newer evicts).
  static bool Newer(const Kept& a, const Kept& b) {
    if (a.ts != b.ts) return a.ts > b.ts;
    return a.seq < b.seq;
  }

  void SendHistoric() {
    // Oldest first; a backward scan read entries of one timestamp newest first.
    std::sort(heap_.begin(), heap_.end(), [](const Kept& a, const Kept& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.seq > b.seq;
    });
    Send(heap_);
    heap_.clear();
    heap_.shrink_to_fit();
  }

  void SendLive() {
    if (kept_.empty()) return;
    if (conn_->queued() >= kMaxQueuedMessages) {
      // The client is behind: drop, and say so in the next message (Loki's tailer does this).
      for (Kept& k : kept_) {
        if (dropped_.size() < kMaxDroppedEntries) {
          dropped_.push_back(Dropped{k.ts, std::move(k.labels)});
        }
      }
      kept_.clear();
      return;
    }
    std::sort(kept_.begin(), kept_.end(), [](const Kept& a, const Kept& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
    });
    Send(kept_);
    kept_.clear();
  }

  void Send(const std::vector<Kept>& entries) {
    for (size_t i = 0; i < entries.size(); i += kMaxEntriesPerMessage) {
      size_t end = std::min(entries.size(), i + kMaxEntriesPerMessage);
      conn_->SendText(Message(entries, i, end));
    }
  }

  // {"streams":[...],"dropped_entries":[...]}: consecutive entries of one stream share an
  // element, so the entries keep their order.
  std::string Message(const std::vector<Kept>& entries, size_t begin, size_t end) {
    std::string out;
    out.reserve(256 + (end - begin) * 128);
    out.append(R"({"streams":[)");
    for (size_t i = begin; i < end; ++i) {
      const Kept& e = entries[i];
      bool same_stream = i > begin && entries[i - 1].labels == e.labels;
      if (same_stream) {
        out.push_back(',');
      } else {
        if (i > begin) out.append("]},");
        out.append(R"({"stream":)");
        promapi::AppendLabels(e.labels, &out);
        out.append(R"(,"values":[)");
      }
      out.append("[\"");
      out.append(std::to_string(e.ts));
      out.append("\",\"");
      JsonWriter::AppendEscaped(&out, e.line);
      out.push_back('"');
      if (params_.categorize_labels) {
        out.append(",{");
        if (!e.metadata.empty()) {
          out.append(R"("structuredMetadata":)");
          promapi::AppendLabels(e.metadata, &out);
        }
        if (!e.parsed.empty()) {
          if (!e.metadata.empty()) out.push_back(',');
          out.append(R"("parsed":)");
          promapi::AppendLabels(e.parsed, &out);
        }
        out.push_back('}');
      }
      out.push_back(']');
    }
    if (end > begin) out.append("]}");
    out.push_back(']');
    if (!dropped_.empty()) {
      out.append(R"(,"dropped_entries":[)");
      for (size_t i = 0; i < dropped_.size(); ++i) {
        if (i > 0) out.push_back(',');
        out.append(R"({"timestamp":")");
        out.append(std::to_string(dropped_[i].ts));
        out.push_back('"');
        if (!dropped_[i].labels.empty()) {
          out.append(R"(,"labels":)");
          promapi::AppendLabels(dropped_[i].labels, &out);
        }
        out.push_back('}');
      }
      out.push_back(']');
      dropped_.clear();
    }
    if (params_.categorize_labels) out.append(R"(,"encodingFlags":["categorize-labels"])");
    out.push_back('}');
    return out;
  }

  const std::shared_ptr<Api> api_;
  const storage::LogStore& store_;
  const TailParams params_;
  std::shared_ptr<WebSocketConnection> conn_;  // until OnClose

  logql::PipelineRun run_;
  logql::LabelsBuilder builder_;
  std::vector<std::pair<std::string_view, std::string_view>> metadata_pairs_;

  bool historic_ = true;       // the first pass
  int64_t first_horizon_ = 0;  // the first pass reads entries before it
  int64_t horizon_ = 0;        // this pass reads entries before it
  SteadyClock::time_point pass_started_;
  std::vector<storage::StreamInfo> streams_;  // this pass's
  size_t next_stream_ = 0;
  std::optional<Cursor> resume_;  // first pass: where the unfinished stream continues
  std::map<std::pair<size_t, uint64_t>, Cursor> cursors_;  // later passes: per stream
  std::vector<Kept> heap_;                                 // first pass: the newest `limit`
  std::vector<Kept> kept_;                                 // later passes: this slice's
  std::vector<Dropped> dropped_;                           // for the next message
  uint64_t seq_ = 0;
};

// Over max_tails: Loki accepts the upgrade, then closes with its error.
class RefusedTail final : public WebSocketSession {
 public:
  explicit RefusedTail(std::string reason) : reason_(std::move(reason)) {}
  void OnOpen(std::shared_ptr<WebSocketConnection> connection) override {
    connection->Close(kCloseInternalError, reason_);
  }

 private:
  std::string reason_;
};

}  // namespace

void RegisterLokiTailApi(Router& router, LokiTailApiOptions options) {
  auto api = std::make_shared<Api>();
  if (!options.limits) options.limits = std::make_shared<QueryLimitsTable>();
  api->options = std::move(options);
  RouteOptions route;
  route.websocket = true;
  router.Add(
      {HttpMethod::kGet}, "/loki/api/v1/tail",
      [api](HttpRequest request, Responder responder) {
        Result<TailParams> params = ParseTailRequest(request, api->options, NowNs());
        if (!params.ok()) return responder.Send(Error(400, params.status().message()));
        size_t open = api->active.fetch_add(1);
        if (open >= api->options.max_tails) {
          api->active.fetch_sub(1);
          return responder.AcceptWebSocket(std::make_shared<RefusedTail>(
              fmt::format("max concurrent tail requests limit exceeded, count > limit ({} > {})",
                          open + 1, api->options.max_tails)));
        }
        // The session gives the slot back when it is destroyed, whatever becomes of the
        // handshake.
        responder.AcceptWebSocket(std::make_shared<TailSession>(api, std::move(params).value()));
      },
      route);
}

}  // namespace sluice::daemon
