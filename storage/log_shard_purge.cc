// LogShard's purge: deleting what a DeletionPlan names, on the writer thread, in slices.
#include <fmt/format.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <tuple>

#include "storage/keys.h"
#include "storage/log_shard_impl.h"
#include "storage/purge_task.h"

namespace sluice::storage {
namespace {

// Whether `d` deletes every entry in [min_ts, max_ts] whatever its line.
bool CoversWhole(const DeletionInterval& d, int64_t min_ts, int64_t max_ts) {
  return !d.line_filter && d.start <= min_ts && d.end >= max_ts;
}

}  // namespace

Result<PurgeStats> LogShard::Purge(const DeletionPlan& plan) {
  std::vector<uint64_t> ids;
  {
    std::shared_lock lock(impl_->mu);
    impl_->streams.ForEach([&](const Stream& s) { ids.push_back(s.id); });
  }
  std::vector<DeletionInterval> intervals;
  return RunPurge(impl_->writer, std::move(ids),
                  [&](uint64_t id, PurgeStats* stats) -> Result<bool> {
                    Stream* s = impl_->streams.FindById(id);
                    if (s == nullptr) return false;
                    intervals.clear();
                    if (s->has_data) {
                      plan(s->tenant, s->labels, &intervals);
                      std::erase_if(intervals, [&](const DeletionInterval& d) {
                        return !d.Overlaps(s->min_ts, s->max_ts);
                      });
                      if (intervals.empty()) return false;
                    }
                    // A stream without data is one an earlier purge emptied but could not drop yet.
                    Status status = impl_->PurgeStream(*s, intervals, stats);
                    if (!status.ok())
                      return status.WithContext(fmt::format("shard {}: purging", shard_.index));
                    return true;
                  });
}

Status LogShard::Impl::PurgeStream(Stream& s, const std::vector<DeletionInterval>& intervals,
                                   PurgeStats* stats) {
  if (!intervals.empty()) ++stats->streams_examined;
  // Deleted entries still in the head are sealed first, so that only blocks need handling.
  if (!s.head.entries.empty() &&
      std::any_of(intervals.begin(), intervals.end(), [&](const DeletionInterval& d) {
        return d.Overlaps(s.head.min_ts, s.head.max_ts);
      })) {
    SLUICE_RETURN_IF_ERROR(SealStreams({&s}));
  }

  std::vector<BlockRef> blocks;
  SLUICE_RETURN_IF_ERROR(ListBlocks(shard, {}, s.id, std::numeric_limits<int64_t>::min(),
                                    std::numeric_limits<int64_t>::max(), &blocks));
  rocksdb::WriteBatch wb;
  Survivors left;
  uint64_t seq = next_block_seq;
  std::vector<BlockEntry> kept;
  std::string rewritten;
  for (const BlockRef& b : blocks) {
    const int64_t lo = b.min_ts, hi = b.meta.max_ts;
    auto touches = [&](const DeletionInterval& d) { return d.Overlaps(lo, hi); };
    if (std::none_of(intervals.begin(), intervals.end(), touches)) {
      left.Add(lo, hi);
      continue;
    }
    const bool whole =
        std::any_of(intervals.begin(), intervals.end(),
                    [&](const DeletionInterval& d) { return CoversWhole(d, lo, hi); });
    uint64_t entries_before = b.meta.count;
    if (!whole) {
      SLUICE_ASSIGN_OR_RETURN(DecodedBlock block, ReadBlock(shard, {}, b.key));
      kept.clear();
      for (size_t i = 0; i < block.size(); ++i) {
        if (!IsDeleted(intervals, block.timestamp(i), block.line(i))) {
          kept.push_back(BlockEntry{block.timestamp(i), block.line(i), block.metadata(i)});
        }
      }
      if (kept.size() == block.size()) {
        left.Add(lo, hi);
        continue;
      }
      if (!kept.empty()) {
        BlockHeader header;
        SLUICE_RETURN_IF_ERROR(encoder.Encode(kept, &rewritten, &header));
        std::string key = keys::Block(s.id, header.min_ts, seq++);
        wb.Put(shard.cf(Cf::kLogBlocks), key, rewritten);
        wb.Put(shard.cf(Cf::kLogBlockMeta), key, EncodeBlockMeta(header, rewritten.size()));
        left.Add(header.min_ts, header.max_ts);
        ++stats->blocks_rewritten;
        stats->bytes_deleted +=
            b.meta.stored_bytes - std::min(b.meta.stored_bytes, uint64_t{rewritten.size()});
      }
      entries_before = block.size();
    }
    wb.Delete(shard.cf(Cf::kLogBlocks), b.key);
    wb.Delete(shard.cf(Cf::kLogBlockMeta), b.key);
    stats->entries_deleted += entries_before - kept.size();
    if (whole || kept.empty()) {
      ++stats->blocks_deleted;
      stats->bytes_deleted += b.meta.stored_bytes;
    }
    kept.clear();
  }
  if (!s.head.entries.empty()) left.Add(s.head.min_ts, s.head.max_ts);
  if (wb.Count() == 0 && s.has_data) return Status::Ok();

  // A stream is forgotten only once no WAL record holds entries of it: replay would otherwise
  // find entries of an unknown stream and bring it back with them.
  bool drop = !left.any && std::none_of(wal_remaining.begin(), wal_remaining.end(),
                                        [&](const auto& r) { return r.first < s.wal_floor; });
  wb.Put(shard.cf(Cf::kDefault), keys::kNextBlockSeq, keys::U64(seq));
  // Under the exclusive lock, as sealing: a reader sees the stream's range and blocks before the
  // purge or after it. Not held back by the DiskSpaceGuard: deleting is how space returns.
  std::unique_lock lock(mu);
  const auto before = std::make_tuple(s.has_data, s.min_ts, s.max_ts);
  s.has_data = left.any;
  s.min_ts = left.min_ts;
  s.max_ts = left.max_ts;
  if (drop) {
    wb.Delete(shard.cf(Cf::kLogStreams), keys::U64(s.id));
  } else {
    wb.Put(shard.cf(Cf::kLogStreams), keys::U64(s.id), EncodeStreamRecord(s));
  }
  Status written = FromRocks(shard.db->Write({}, &wb), "writing a purge");
  if (!written.ok()) {
    std::tie(s.has_data, s.min_ts, s.max_ts) = before;
    return written;
  }
  next_block_seq = seq;
  if (drop && streams.Remove(s.id)) {
    ++stats->streams_dropped;
    metrics->streams.Decrement();
  }
  return Status::Ok();
}

}  // namespace sluice::storage
