#include "storage/log_store.h"

#include <algorithm>
#include <set>

#include "storage/ack_join.h"
#include "storage/wal_record.h"

namespace sluice::storage {
LogStore::LogStore(const ShardSet& shards, const LogShardOptions& options,
                   prometheus::Registry& registry, const Clock& clock)
    : metrics_(std::make_unique<LogMetrics>(registry)) {
  LogShardOptions with_filter = options;
  with_filter.read_filter = &read_filter_;
  for (size_t i = 0; i < shards.size(); ++i) {
    shards_.push_back(
        std::make_unique<LogShard>(shards.shard(i), with_filter, metrics_.get(), clock));
  }
}

LogStore::~LogStore() { Stop(); }

Status LogStore::Recover() {
  for (auto& s : shards_) SLUICE_RETURN_IF_ERROR(s->Recover());
  return Status::Ok();
}

void LogStore::Start() {
  for (auto& s : shards_) s->Start();
}

void LogStore::Stop() {
  for (auto& s : shards_) s->Stop();
}

Status LogStore::SealAll() {
  for (auto& s : shards_) SLUICE_RETURN_IF_ERROR(s->SealAll());
  return Status::Ok();
}

void LogStore::Write(const LogBatch& batch, std::function<void(const Status&)> done) {
  const size_t n = shards_.size();
  std::vector<std::vector<uint32_t>> streams_by_shard(n);
  for (uint32_t s = 0; s < batch.streams().size(); ++s) {
    streams_by_shard[ShardFor(batch.streams()[s].fingerprint)].push_back(s);
  }
  std::vector<std::vector<uint32_t>> entries_by_stream(batch.streams().size());
  for (uint32_t e = 0; e < batch.entries().size(); ++e) {
    entries_by_stream[batch.entries()[e].stream].push_back(e);
  }
  size_t parts = 0;
  for (size_t i = 0; i < n; ++i) {
    std::erase_if(streams_by_shard[i], [&](uint32_t s) { return entries_by_stream[s].empty(); });
    if (!streams_by_shard[i].empty()) ++parts;
  }
  if (parts == 0) {
    done(Status::Ok());
    return;
  }
  auto join = std::make_shared<AckJoin>(parts, std::move(done));
  for (size_t i = 0; i < n; ++i) {
    if (streams_by_shard[i].empty()) continue;
    std::string record;
    EncodeWalRecord(batch, streams_by_shard[i], entries_by_stream, &record);
    shards_[i]->Submit(std::move(record), [join](const Status& s) { join->PartDone(s); });
  }
}

size_t LogStore::StreamCount(std::string_view tenant) const {
  size_t n = 0;
  for (const auto& s : shards_) n += s->TenantStreamCount(tenant);
  return n;
}

bool LogStore::HasStream(std::string_view tenant, const LogStream& stream) const {
  return shards_[ShardFor(stream.fingerprint)]->HasStream(tenant, stream.labels);
}

std::vector<StreamInfo> LogStore::SelectStreams(std::string_view tenant,
                                                const LabelMatchers& matchers, int64_t start,
                                                int64_t end) const {
  std::vector<StreamInfo> out;
  for (const auto& s : shards_) {
    std::vector<StreamInfo> part = s->SelectStreams(tenant, matchers, start, end);
    std::move(part.begin(), part.end(), std::back_inserter(out));
  }
  return out;
}

Status LogStore::Scan(const StreamInfo& stream, int64_t start, int64_t end, Direction direction,
                      const EntryVisitor& visit) const {
  return shards_.at(stream.shard)->Scan(stream.id, start, end, direction, visit);
}

Status LogStore::StreamStats(const StreamInfo& stream, int64_t start, int64_t end,
                             LogStreamStats* out) const {
  return shards_.at(stream.shard)->StreamStats(stream.id, start, end, out);
}

Status LogStore::StreamStats(const StreamInfo& stream, const std::vector<int64_t>& bounds,
                             std::vector<LogStreamStats>* out) const {
  return shards_.at(stream.shard)->StreamStats(stream.id, bounds, out);
}

std::vector<std::string> LogStore::LabelNames(std::string_view tenant,
                                              const LabelMatchers& matchers, int64_t start,
                                              int64_t end) const {
  std::set<std::string> names;
  for (const StreamInfo& s : SelectStreams(tenant, matchers, start, end)) {
    for (const Label& l : s.labels) names.insert(l.name);
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> LogStore::LabelValues(std::string_view tenant, std::string_view name,
                                               const LabelMatchers& matchers, int64_t start,
                                               int64_t end) const {
  std::set<std::string> values;
  for (const StreamInfo& s : SelectStreams(tenant, matchers, start, end)) {
    std::string_view v = LabelValue(s.labels, name);
    if (!v.empty()) values.emplace(v);
  }
  return {values.begin(), values.end()};
}

std::optional<std::pair<int64_t, int64_t>> LogStore::TimeRange() const {
  std::optional<std::pair<int64_t, int64_t>> range;
  for (const auto& s : shards_) range = MergeTimeRanges(range, s->TimeRange());
  return range;
}

Result<PurgeStats> LogStore::Purge(const DeletionPlan& plan) {
  PurgeStats total;
  for (auto& s : shards_) {
    SLUICE_ASSIGN_OR_RETURN(PurgeStats one, s->Purge(plan));
    total += one;
  }
  return total;
}

LogShardStats LogStore::Stats() const {
  LogShardStats total;
  for (const auto& s : shards_) {
    LogShardStats one = s->Stats();
    total.streams += one.streams;
    total.head_bytes += one.head_bytes;
    total.head_entries += one.head_entries;
    total.pending_wal_records += one.pending_wal_records;
  }
  return total;
}

}  // namespace sluice::storage
