#include "daemon/api/export_api.h"

#include <limits>

#include "base/json_writer.h"
#include "base/time_format.h"
#include "daemon/api/ingest_common.h"
#include "query/selector_parser.h"
#include "query/time_params.h"
#include "storage/metadata_codec.h"

namespace sluice::daemon {
namespace {

constexpr size_t kChunkBytes = 256 << 10;

// Produces the export a chunk at a time. A scan that fills a chunk stops, and the next one
// resumes from the last timestamp, skipping the entries of that timestamp already sent.
class ExportSource final : public BodySource {
 public:
  ExportSource(const storage::LogStore* store, std::vector<storage::StreamInfo> streams,
               int64_t start, int64_t end)
      : store_(store), streams_(std::move(streams)), start_(start), end_(end) {}

  Result<bool> Next(std::string* out) override {
    while (index_ < streams_.size() && out->size() < kChunkBytes) {
      const storage::StreamInfo& stream = streams_[index_];
      if (labels_.empty()) labels_ = storage::LabelsToString(stream.labels);
      size_t skip = skip_at_resume_;
      int64_t resume = resume_ts_;
      bool full = false;
      Status s = store_->Scan(stream, resume, end_, storage::Direction::kForward,
                              [&](int64_t ts, std::string_view line, std::string_view metadata) {
                                if (ts == resume && skip > 0) {
                                  --skip;
                                  return true;
                                }
                                Append(ts, line, metadata, out);
                                if (ts == resume_ts_) {
                                  ++skip_at_resume_;
                                } else {
                                  resume_ts_ = ts;
                                  skip_at_resume_ = 1;
                                }
                                full = out->size() >= kChunkBytes;
                                return !full;
                              });
      if (!s.ok()) return s;
      if (full) return true;
      ++index_;  // this stream is done
      labels_.clear();
      resume_ts_ = start_;
      skip_at_resume_ = 0;
    }
    return index_ < streams_.size();
  }

 private:
  void Append(int64_t ts, std::string_view line, std::string_view metadata, std::string* out) {
    JsonWriter w(out);
    w.BeginObject();
    w.Key("_time");
    std::string time;
    AppendRfc3339Nano(ts, &time);
    w.String(time);
    w.Key("_stream");
    w.String(labels_);
    w.Key("_msg");
    w.String(line);
    if (storage::DecodeMetadata(metadata, &pairs_)) {
      for (const auto& [name, value] : pairs_) {
        w.Key(name);
        w.String(value);
      }
    }
    w.EndObject();
    out->push_back('\n');
  }

  const storage::LogStore* store_;
  std::vector<storage::StreamInfo> streams_;
  const int64_t start_;
  const int64_t end_;
  size_t index_ = 0;
  std::string labels_;
  int64_t resume_ts_ = start_;
  size_t skip_at_resume_ = 0;
  std::vector<std::pair<std::string_view, std::string_view>> pairs_;
};

}  // namespace

void RegisterExportApi(Router& router, const storage::LogStore* store, std::string default_tenant) {
  router.Add({HttpMethod::kGet}, "/export/logs",
             [store, default_tenant = std::move(default_tenant)](HttpRequest request,
                                                                 Responder responder) {
               auto bad = [&](std::string_view message) {
                 responder.Send(HttpResponse::Text(400, std::string(message) + "\n"));
               };
               Result<std::string> tenant = RequestTenant(request, default_tenant);
               if (!tenant.ok()) return bad(tenant.status().message());
               std::string_view match = request.params.Get("match");
               if (match.empty()) match = request.params.Get("query");
               if (match.empty())
                 return bad("the match parameter is required, e.g. match={app=\"api\"}");
               Result<storage::LabelMatchers> matchers = query::ParseSelector(match);
               if (!matchers.ok()) return bad(matchers.status().message());
               int64_t start = std::numeric_limits<int64_t>::min();
               int64_t end = std::numeric_limits<int64_t>::max();
               if (request.params.Has("start")) {
                 Result<int64_t> t = query::ParseQueryTime(request.params.Get("start"));
                 if (!t.ok()) return bad(t.status().message());
                 start = *t;
               }
               if (request.params.Has("end")) {
                 Result<int64_t> t = query::ParseQueryTime(request.params.Get("end"));
                 if (!t.ok()) return bad(t.status().message());
                 end = *t;
               }
               std::vector<storage::StreamInfo> streams =
                   store->SelectStreams(*tenant, *matchers, start, end);
               HttpResponse response;
               response.headers.Set("Content-Type", "application/x-ndjson");
               response.stream =
                   std::make_shared<ExportSource>(store, std::move(streams), start, end);
               responder.Send(std::move(response));
             });
}

}  // namespace sluice::daemon
