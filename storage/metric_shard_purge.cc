// MetricShard's purge: deleting what a DeletionPlan names, on the writer thread, in slices.
#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <tuple>

#include "storage/keys.h"
#include "storage/metric_shard_impl.h"
#include "storage/purge_task.h"

namespace sluice::storage {
namespace {

// Deletes runs of consecutive chunk keys: one range delete for a run of several (a series'
// expired past is usually hundreds of chunks), a point delete for one.
class ChunkDeleter {
 public:
  ChunkDeleter(rocksdb::WriteBatch* wb, rocksdb::ColumnFamilyHandle* cf) : wb_(wb), cf_(cf) {}
  void Delete(std::string_view key) {
    if (count_ == 0) first_.assign(key);
    last_.assign(key);
    ++count_;
  }
  // A kept chunk ends the run.
  void Flush() {
    if (count_ == 1) {
      wb_->Delete(cf_, first_);
    } else if (count_ > 1) {
      std::string end = last_;
      end.push_back('\0');  // the first key after `last_`
      wb_->DeleteRange(cf_, first_, end);
    }
    count_ = 0;
  }

 private:
  rocksdb::WriteBatch* wb_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::string first_, last_;
  size_t count_ = 0;
};

}  // namespace

Result<PurgeStats> MetricShard::Purge(const DeletionPlan& plan) {
  std::vector<uint32_t> ids;
  {
    std::shared_lock lock(impl_->mu);
    impl_->series.ForEach([&](const MetricSeries& s) { ids.push_back(s.id); });
  }
  std::vector<DeletionInterval> intervals;
  Labels labels;
  return RunPurge(impl_->writer, std::move(ids),
                  [&](uint32_t id, PurgeStats* stats) -> Result<bool> {
                    MetricSeries* s = impl_->series.FindById(id);
                    if (s == nullptr) return false;
                    intervals.clear();
                    // A series without data is one an earlier purge emptied but could not drop.
                    if (s->has_data) {
                      ParseSeriesKey(s->labels, &labels);
                      plan(impl_->series.TenantName(s->tenant), labels, &intervals);
                      std::erase_if(intervals, [&](const DeletionInterval& d) {
                        return !d.Overlaps(s->min_ts, s->max_ts);
                      });
                      if (intervals.empty()) return false;
                    }
                    Status status = impl_->PurgeSeries(*s, intervals, stats);
                    if (!status.ok()) {
                      return status.WithContext(fmt::format("shard {}: purging", shard_.index));
                    }
                    return true;
                  });
}

Status MetricShard::Impl::PurgeSeries(MetricSeries& s,
                                      const std::vector<DeletionInterval>& intervals,
                                      PurgeStats* stats) {
  if (!intervals.empty()) ++stats->streams_examined;
  if (!s.HeadEmpty()) SLUICE_RETURN_IF_ERROR(Seal({&s}));

  rocksdb::WriteBatch wb;
  ChunkDeleter deleter(&wb, shard.cf(Cf::kMetricChunks));
  uint64_t seq = next_chunk_seq;
  Survivors left;
  std::vector<Sample> samples;
  std::string chunk;
  Status listed = ForEachChunk(
      shard, nullptr, s.id, s.max_chunk_span, std::numeric_limits<int64_t>::min(),
      std::numeric_limits<int64_t>::max(),
      [&](std::string_view key, uint64_t, const ChunkHeader& header, std::string_view value) {
        auto touches = [&](const DeletionInterval& d) {
          return d.Overlaps(header.min_ts, header.max_ts);
        };
        if (std::none_of(intervals.begin(), intervals.end(), touches)) {
          deleter.Flush();
          left.Add(header.min_ts, header.max_ts);
          return Status::Ok();
        }
        samples.clear();
        SLUICE_RETURN_IF_ERROR(DecodeChunk(value, &samples));
        size_t before = samples.size();
        std::erase_if(samples,
                      [&](const Sample& x) { return IsDeleted(intervals, x.timestamp_ms); });
        if (samples.size() == before) {
          deleter.Flush();
          left.Add(header.min_ts, header.max_ts);
          return Status::Ok();
        }
        stats->entries_deleted += before - samples.size();
        if (samples.empty()) {
          deleter.Delete(key);
          ++stats->blocks_deleted;
          stats->bytes_deleted += value.size();
          return Status::Ok();
        }
        deleter.Flush();
        wb.Delete(shard.cf(Cf::kMetricChunks), key);
        chunk.clear();
        EncodeChunk(samples, &chunk);
        wb.Put(shard.cf(Cf::kMetricChunks), keys::Chunk(s.id, samples.front().timestamp_ms, seq++),
               chunk);
        left.Add(samples.front().timestamp_ms, samples.back().timestamp_ms);
        ++stats->blocks_rewritten;
        stats->bytes_deleted += value.size() - std::min(value.size(), chunk.size());
        return Status::Ok();
      });
  SLUICE_RETURN_IF_ERROR(listed);
  deleter.Flush();
  if (wb.Count() == 0 && s.has_data) return Status::Ok();

  // A series left without samples is forgotten once no WAL record can name its id (replay would
  // find an unknown series); until then it stays, matching no time range.
  const bool drop = !left.any && wal_deleted_below >= s.wal_floor;
  wb.Put(shard.cf(Cf::kDefault), keys::kMetricNextChunkSeq, keys::U64(seq));
  // Under the exclusive lock, as sealing; not held back by the DiskSpaceGuard: deleting is how
  // space returns.
  std::unique_lock lock(mu);
  const auto before = std::make_tuple(s.has_data, s.min_ts, s.max_ts, s.sealed_max_ts);
  s.has_data = left.any;
  s.min_ts = left.min_ts;
  s.max_ts = left.max_ts;
  if (!left.any) s.sealed_max_ts = MetricSeries::kNoSealedChunk;
  if (drop) {
    wb.Delete(shard.cf(Cf::kMetricSeries), keys::U64(s.id));
  } else {
    wb.Put(shard.cf(Cf::kMetricSeries), keys::U64(s.id),
           EncodeSeriesRecord(s, series.TenantName(s.tenant)));
  }
  Status written = FromRocks(shard.db->Write({}, &wb), "writing a purge");
  if (!written.ok()) {
    std::tie(s.has_data, s.min_ts, s.max_ts, s.sealed_max_ts) = before;
    return written;
  }
  next_chunk_seq = seq;
  if (drop && series.Remove(s.id)) {
    ++stats->streams_dropped;
    metrics->series.Decrement();
  }
  return Status::Ok();
}

}  // namespace sluice::storage
