// LogShard's read path: stream selection and time-ordered scans over blocks and heads.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <queue>

#include "base/coding.h"
#include "storage/keys.h"
#include "storage/log_shard_impl.h"

namespace sluice::storage {
namespace {

// Entries of one source (a decoded block, or the copied head), sorted by timestamp.
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  virtual size_t size() const = 0;
  virtual int64_t ts(size_t i) const = 0;
  virtual std::string_view line(size_t i) const = 0;
  virtual std::string_view metadata(size_t i) const = 0;
};

class BlockSource final : public EntrySource {
 public:
  explicit BlockSource(DecodedBlock block) : block_(std::move(block)) {}
  size_t size() const override { return block_.size(); }
  int64_t ts(size_t i) const override { return block_.timestamp(i); }
  std::string_view line(size_t i) const override { return block_.line(i); }
  std::string_view metadata(size_t i) const override { return block_.metadata(i); }

 private:
  DecodedBlock block_;
};

// A stable copy of the head entries in range, taken under the shard's shared lock.
class HeadSource final : public EntrySource {
 public:
  HeadSource(const Head& head, int64_t start, int64_t end) {
    for (const HeadEntry& e : head.entries) {
      if (e.timestamp_ns < start || e.timestamp_ns >= end) continue;
      Copied c{e.timestamp_ns, data_.size(), e.line_size, 0, e.metadata_size};
      data_.append(head.data, e.line_offset, e.line_size);
      c.metadata_offset = data_.size();
      data_.append(head.data, e.metadata_offset, e.metadata_size);
      entries_.push_back(c);
    }
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](const Copied& a, const Copied& b) { return a.ts < b.ts; });
  }
  size_t size() const override { return entries_.size(); }
  int64_t ts(size_t i) const override { return entries_[i].ts; }
  std::string_view line(size_t i) const override {
    return std::string_view(data_).substr(entries_[i].line_offset, entries_[i].line_size);
  }
  std::string_view metadata(size_t i) const override {
    return std::string_view(data_).substr(entries_[i].metadata_offset, entries_[i].metadata_size);
  }

 private:
  struct Copied {
    int64_t ts;
    size_t line_offset;
    size_t line_size;
    size_t metadata_offset;
    size_t metadata_size;
  };
  std::vector<Copied> entries_;
  std::string data_;
};

// Releases a RocksDB snapshot when the scan ends.
class SnapshotGuard {
 public:
  SnapshotGuard(rocksdb::DB* db, const rocksdb::Snapshot* s) : db_(db), s_(s) {}
  ~SnapshotGuard() {
    if (s_ != nullptr) db_->ReleaseSnapshot(s_);
  }
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* s_;
};

// The bucket [bounds[k], bounds[k + 1]) holding `ts`. Precondition: front <= ts < back.
size_t BucketOf(const std::vector<int64_t>& bounds, int64_t ts) {
  return static_cast<size_t>(std::upper_bound(bounds.begin(), bounds.end(), ts) - bounds.begin()) -
         1;
}

// Adds the entries of a decoded block to the buckets they fall in; the block counts once in
// each bucket it has entries in.
void CountBlock(const DecodedBlock& block, const std::vector<int64_t>& bounds,
                std::vector<LogStreamStats>* out) {
  const size_t n = block.size();
  auto first_at_or_after = [&](int64_t t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (block.timestamp(mid) < t)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  };
  // Timestamps are sorted: each bucket's entries are one run, found by two binary searches.
  for (size_t i = first_at_or_after(bounds.front()); i < n && block.timestamp(i) < bounds.back();) {
    size_t k = BucketOf(bounds, block.timestamp(i));
    size_t next = first_at_or_after(bounds[k + 1]);
    LogStreamStats& stats = (*out)[k];
    stats.entries += next - i;
    stats.line_bytes += block.line_offset(next) - block.line_offset(i);
    ++stats.blocks;
    i = next;
  }
}

Status ScanSnapshot(const Shard& shard, std::unique_ptr<HeadSource> head,
                    const rocksdb::Snapshot* snapshot, uint64_t id, int64_t start, int64_t end,
                    Direction direction, const EntryVisitor& visit);

}  // namespace

Status ListBlocks(const Shard& shard, const rocksdb::ReadOptions& read, uint64_t id, int64_t start,
                  int64_t end, std::vector<BlockRef>* blocks) {
  std::unique_ptr<rocksdb::Iterator> it(shard.db->NewIterator(read, shard.cf(Cf::kLogBlockMeta)));
  for (it->Seek(keys::Block(id, std::numeric_limits<int64_t>::min(), 0)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    uint64_t key_stream = 0, seq = 0;
    int64_t min_ts = 0;
    if (!keys::ParseBlock(key, &key_stream, &min_ts, &seq) || key_stream != id) break;
    if (min_ts >= end) break;
    BlockMeta meta;
    if (!DecodeBlockMeta(std::string_view(it->value().data(), it->value().size()), &meta)) {
      return Status::Corruption(fmt::format("unreadable block meta of stream {:016x}", id));
    }
    if (meta.max_ts < start) continue;
    blocks->push_back(BlockRef{std::string(key), min_ts, meta});
  }
  return FromRocks(it->status(), "listing log blocks");
}

Result<DecodedBlock> ReadBlock(const Shard& shard, const rocksdb::ReadOptions& read,
                               const std::string& key) {
  std::string value;
  SLUICE_RETURN_IF_ERROR(
      FromRocks(shard.db->Get(read, shard.cf(Cf::kLogBlocks), key, &value), "reading a log block"));
  return DecodedBlock::Decode(value);
}

std::vector<StreamInfo> LogShard::SelectStreams(std::string_view tenant,
                                                const LabelMatchers& matchers, int64_t start,
                                                int64_t end) const {
  std::shared_lock lock(impl_->mu);
  std::vector<StreamInfo> out;
  for (const Stream* s : impl_->streams.Select(tenant, matchers, start, end)) {
    out.push_back(StreamInfo{shard_.index, s->id, s->labels, s->min_ts, s->max_ts});
  }
  return out;
}

size_t LogShard::TenantStreamCount(std::string_view tenant) const {
  std::shared_lock lock(impl_->mu);
  return impl_->streams.CountForTenant(tenant);
}

bool LogShard::HasStream(std::string_view tenant, const Labels& labels) const {
  std::shared_lock lock(impl_->mu);
  return impl_->streams.Contains(tenant, labels);
}

Status LogShard::Scan(uint64_t id, int64_t start, int64_t end, Direction direction,
                      const EntryVisitor& visit) const {
  if (start >= end) return Status::Ok();
  std::unique_ptr<HeadSource> head;
  const rocksdb::Snapshot* snapshot = nullptr;
  std::vector<DeletionInterval> hidden;
  {
    std::shared_lock lock(impl_->mu);
    const Stream* stream = impl_->streams.FindById(id);
    if (stream == nullptr) return Status::Ok();  // dropped by a purge: nothing left
    head = std::make_unique<HeadSource>(stream->head, start, end);
    snapshot = shard_.db->GetSnapshot();
    if (impl_->options.read_filter != nullptr) {
      hidden = impl_->options.read_filter->For(stream->tenant, stream->labels);
    }
  }
  if (!hidden.empty()) {
    return ScanSnapshot(shard_, std::move(head), snapshot, id, start, end, direction,
                        [&](int64_t ts, std::string_view line, std::string_view metadata) {
                          return IsDeleted(hidden, ts, line) || visit(ts, line, metadata);
                        });
  }
  return ScanSnapshot(shard_, std::move(head), snapshot, id, start, end, direction, visit);
}

namespace {

// Scan's merge of the copied head with the blocks of `snapshot`, which it releases.
Status ScanSnapshot(const Shard& shard, std::unique_ptr<HeadSource> head,
                    const rocksdb::Snapshot* snapshot, uint64_t id, int64_t start, int64_t end,
                    Direction direction, const EntryVisitor& visit) {
  SnapshotGuard guard(shard.db, snapshot);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;

  std::vector<BlockRef> blocks;
  SLUICE_RETURN_IF_ERROR(ListBlocks(shard, read, id, start, end, &blocks));

  bool forward = direction == Direction::kForward;
  if (!forward) {
    std::sort(blocks.begin(), blocks.end(),
              [](const BlockRef& a, const BlockRef& b) { return a.meta.max_ts > b.meta.max_ts; });
  }

  // A k-way merge that opens each block only when the merge reaches its first timestamp, so a
  // long scan holds a few decoded blocks at a time.
  std::vector<std::unique_ptr<EntrySource>> sources;
  struct Cursor {
    int64_t ts;
    size_t source;
    size_t pos;  // next index to visit (forward) or one past it (backward)
  };
  auto later = [forward](const Cursor& a, const Cursor& b) {
    if (a.ts != b.ts) return forward ? a.ts > b.ts : a.ts < b.ts;
    return forward ? a.source > b.source : a.source < b.source;
  };
  std::priority_queue<Cursor, std::vector<Cursor>, decltype(later)> heap(later);
  auto push_source = [&](std::unique_ptr<EntrySource> src) {
    const EntrySource& s = *src;
    size_t n = s.size();
    // First entry within [start, end) in the scan's direction.
    size_t lo = 0, hi = n;
    if (forward) {
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s.ts(mid) < start)
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo < n && s.ts(lo) < end) heap.push(Cursor{s.ts(lo), sources.size(), lo});
    } else {
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s.ts(mid) < end)
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo > 0 && s.ts(lo - 1) >= start) heap.push(Cursor{s.ts(lo - 1), sources.size(), lo});
    }
    sources.push_back(std::move(src));
  };
  push_source(std::move(head));

  size_t next_block = 0;
  while (true) {
    if (next_block < blocks.size()) {
      const BlockRef& b = blocks[next_block];
      bool needed =
          heap.empty() || (forward ? b.min_ts <= heap.top().ts : b.meta.max_ts >= heap.top().ts);
      if (needed) {
        SLUICE_ASSIGN_OR_RETURN(DecodedBlock decoded, ReadBlock(shard, read, b.key));
        push_source(std::make_unique<BlockSource>(std::move(decoded)));
        ++next_block;
        continue;
      }
    }
    if (heap.empty()) break;
    Cursor c = heap.top();
    heap.pop();
    const EntrySource& s = *sources[c.source];
    size_t index = forward ? c.pos : c.pos - 1;
    if (!visit(s.ts(index), s.line(index), s.metadata(index))) return Status::Ok();
    if (forward) {
      size_t next = c.pos + 1;
      if (next < s.size() && s.ts(next) < end) heap.push(Cursor{s.ts(next), c.source, next});
    } else {
      size_t next = c.pos - 1;
      if (next > 0 && s.ts(next - 1) >= start) heap.push(Cursor{s.ts(next - 1), c.source, next});
    }
  }
  return Status::Ok();
}

}  // namespace

Status LogShard::StreamStats(uint64_t id, int64_t start, int64_t end, LogStreamStats* out) const {
  *out = LogStreamStats{};
  if (start >= end) return Status::Ok();
  std::vector<LogStreamStats> one;
  SLUICE_RETURN_IF_ERROR(StreamStats(id, std::vector<int64_t>{start, end}, &one));
  *out = one[0];
  return Status::Ok();
}

Status LogShard::StreamStats(uint64_t id, const std::vector<int64_t>& bounds,
                             std::vector<LogStreamStats>* out) const {
  out->assign(bounds.size() < 2 ? 0 : bounds.size() - 1, LogStreamStats{});
  if (!std::is_sorted(bounds.begin(), bounds.end())) {
    return Status::InvalidArgument("stream stats: bucket bounds must not decrease");
  }
  if (bounds.size() < 2 || bounds.front() == bounds.back()) return Status::Ok();
  const int64_t start = bounds.front(), end = bounds.back();

  // The head is counted where it is, and the snapshot taken, under the shared lock: as in Scan,
  // each entry is then either in the head or in a block of the snapshot.
  std::vector<bool> head_has(out->size());
  const rocksdb::Snapshot* snapshot = nullptr;
  {
    std::shared_lock lock(impl_->mu);
    const Stream* stream = impl_->streams.FindById(id);
    if (stream == nullptr) return Status::Ok();  // dropped by a purge: nothing left
    const Head& head = stream->head;
    if (!head.entries.empty() && head.max_ts >= start && head.min_ts < end) {
      for (const HeadEntry& e : head.entries) {
        if (e.timestamp_ns < start || e.timestamp_ns >= end) continue;
        size_t k = BucketOf(bounds, e.timestamp_ns);
        ++(*out)[k].entries;
        (*out)[k].line_bytes += e.line_size;
        head_has[k] = true;
      }
    }
    snapshot = shard_.db->GetSnapshot();
  }
  for (size_t k = 0; k < out->size(); ++k) (*out)[k].blocks += head_has[k] ? 1 : 0;
  SnapshotGuard guard(shard_.db, snapshot);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;

  std::vector<BlockRef> blocks;
  SLUICE_RETURN_IF_ERROR(ListBlocks(shard_, read, id, start, end, &blocks));
  for (const BlockRef& b : blocks) {
    // A block inside one bucket counts from its meta; one that crosses a bound is read.
    if (b.meta.has_sizes && b.min_ts >= start && b.meta.max_ts < end &&
        BucketOf(bounds, b.min_ts) == BucketOf(bounds, b.meta.max_ts)) {
      LogStreamStats& stats = (*out)[BucketOf(bounds, b.min_ts)];
      stats.entries += b.meta.count;
      stats.line_bytes += b.meta.line_bytes;
      stats.blocks += b.meta.count > 0 ? 1 : 0;
      continue;
    }
    SLUICE_ASSIGN_OR_RETURN(DecodedBlock decoded, ReadBlock(shard_, read, b.key));
    CountBlock(decoded, bounds, out);
  }
  return Status::Ok();
}

}  // namespace sluice::storage
