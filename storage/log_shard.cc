// LogShard's write path: the writer thread, WAL commits, heads and sealing.
#include <fmt/format.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "base/coding.h"
#include "storage/group_commit.h"
#include "storage/keys.h"
#include "storage/log_shard_impl.h"
#include "storage/wal_record.h"

namespace sluice::storage {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr uint64_t kMaxSealBatchBytes = 16 << 20;
constexpr auto kAgeCheckPeriod = std::chrono::seconds(1);

// One entry of a batch being committed, pointing into its submission's record.
struct PendingEntry {
  Stream* stream;
  uint64_t seq;
  int64_t ts;
  std::string_view line;
  std::string_view metadata;
};

}  // namespace

std::string EncodeStreamRecord(const Stream& stream) {
  std::string out;
  out.push_back(1);  // version
  PutLengthPrefixed(&out, stream.tenant);
  PutVarint(&out, stream.labels.size());
  for (const Label& l : stream.labels) {
    PutLengthPrefixed(&out, l.name);
    PutLengthPrefixed(&out, l.value);
  }
  out.push_back(stream.has_data ? 1 : 0);
  PutVarint(&out, ZigZagEncode(stream.min_ts));
  PutVarint(&out, ZigZagEncode(stream.max_ts));
  PutVarint(&out, stream.wal_floor);
  return out;
}

bool DecodeStreamRecord(std::string_view in, Stream* stream) {
  if (in.empty() || in[0] != 1) return false;
  in.remove_prefix(1);
  std::string_view t;
  uint64_t count = 0;
  if (!GetLengthPrefixed(in, &t) || !GetVarint(in, &count) || count > in.size()) return false;
  stream->tenant.assign(t);
  stream->labels.clear();
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view name, value;
    if (!GetLengthPrefixed(in, &name) || !GetLengthPrefixed(in, &value)) return false;
    stream->labels.push_back(Label{std::string(name), std::string(value)});
  }
  uint64_t lo = 0, hi = 0;
  if (in.empty()) return false;
  stream->has_data = in[0] != 0;
  in.remove_prefix(1);
  if (!GetVarint(in, &lo) || !GetVarint(in, &hi) || !GetVarint(in, &stream->wal_floor)) {
    return false;
  }
  stream->min_ts = ZigZagDecode(lo);
  stream->max_ts = ZigZagDecode(hi);
  return true;
}

std::string EncodeBlockMeta(const BlockHeader& header, uint64_t stored_bytes) {
  std::string out;
  PutVarint(&out, header.count);
  PutVarint(&out, ZigZagEncode(header.max_ts));
  PutVarint(&out, header.line_bytes);
  PutVarint(&out, stored_bytes);
  return out;
}

bool DecodeBlockMeta(std::string_view in, BlockMeta* meta) {
  uint64_t zz = 0;
  if (!GetVarint(in, &meta->count) || !GetVarint(in, &zz)) return false;
  meta->max_ts = ZigZagDecode(zz);
  meta->has_sizes = false;
  if (in.empty()) return true;
  if (!GetVarint(in, &meta->line_bytes) || !GetVarint(in, &meta->stored_bytes)) return false;
  meta->has_sizes = true;
  return true;
}

LogShard::LogShard(const Shard& shard, const LogShardOptions& options, LogMetrics* metrics,
                   const Clock& clock)
    : shard_(shard), impl_(std::make_unique<Impl>(shard, options, metrics, clock)) {}

LogShard::~LogShard() { Stop(); }

Status LogShard::Recover() {
  Impl& m = *impl_;
  rocksdb::DB* db = shard_.db;
  std::string value;
  if (db->Get({}, shard_.cf(Cf::kDefault), keys::kNextBlockSeq, &value).ok()) {
    std::string_view v(value);
    GetFixed64BE(v, &m.next_block_seq);
  }
  if (db->Get({}, shard_.cf(Cf::kDefault), keys::kNextWalSeq, &value).ok()) {
    std::string_view v(value);
    GetFixed64BE(v, &m.next_wal_seq);
  }

  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, shard_.cf(Cf::kLogStreams)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    auto stream = std::make_unique<Stream>();
    if (!GetFixed64BE(key, &stream->id) ||
        !DecodeStreamRecord(std::string_view(it->value().data(), it->value().size()),
                            stream.get())) {
      return Status::Corruption(fmt::format("shard {}: unreadable stream record", shard_.index));
    }
    m.streams.Add(std::move(stream));
  }
  SLUICE_RETURN_IF_ERROR(FromRocks(it->status(), "reading log streams"));

  size_t replayed = 0;
  rocksdb::WriteBatch stale;  // records whose entries were all sealed (a crash between batches)
  it.reset(db->NewIterator({}, shard_.cf(Cf::kLogWal)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    uint64_t seq = 0;
    if (!GetFixed64BE(key, &seq)) {
      return Status::Corruption(fmt::format("shard {}: bad WAL key", shard_.index));
    }
    Result<size_t> appended =
        m.ReplayRecord(seq, std::string_view(it->value().data(), it->value().size()));
    if (!appended.ok()) {
      return appended.status().WithContext(
          fmt::format("shard {}: replaying WAL record {}", shard_.index, seq));
    }
    if (*appended == 0) stale.SingleDelete(shard_.cf(Cf::kLogWal), keys::U64(seq));
    m.next_wal_seq = std::max(m.next_wal_seq, seq + 1);
    ++replayed;
  }
  SLUICE_RETURN_IF_ERROR(FromRocks(it->status(), "reading the log WAL"));
  if (stale.Count() > 0) {
    SLUICE_RETURN_IF_ERROR(FromRocks(db->Write({}, &stale), "deleting sealed WAL records"));
  }
  m.metrics->streams.Increment(static_cast<double>(m.streams.size()));
  if (replayed > 0) {
    spdlog::info("shard {}: replayed {} WAL records ({} bytes of unsealed entries)", shard_.index,
                 replayed, m.head_bytes);
  }
  return Status::Ok();
}

Result<size_t> LogShard::Impl::ReplayRecord(uint64_t seq, std::string_view record) {
  WalRecordReader reader(record);
  SLUICE_RETURN_IF_ERROR(reader.Open());
  Labels labels;
  uint64_t count = 0;
  size_t appended = 0;
  while (reader.NextStream(&labels, &count)) {
    Stream* stream = streams.Find(reader.tenant(), labels);
    if (stream == nullptr) {
      // The stream record is written in the same batch as the WAL record, so this means a damaged
      // log_streams; recreate the stream rather than lose its entries.
      auto created = std::make_unique<Stream>();
      created->id = streams.AllocateId(reader.tenant(), labels, [](uint64_t) { return false; });
      created->tenant = std::string(reader.tenant());
      created->labels = labels;
      stream = streams.Add(std::move(created));
      rocksdb::WriteOptions wo;
      SLUICE_RETURN_IF_ERROR(
          FromRocks(shard.db->Put(wo, shard.cf(Cf::kLogStreams), keys::U64(stream->id),
                                  EncodeStreamRecord(*stream)),
                    "recreating a stream record"));
    }
    for (uint64_t i = 0; i < count; ++i) {
      int64_t ts = 0;
      std::string_view line, metadata;
      if (!reader.NextEntry(&ts, &line, &metadata)) break;
      // Entries of a stream sealed after this record was written are in blocks already.
      if (seq < stream->wal_floor) continue;
      AppendToHead(*stream, seq, ts, line, metadata);
      ++appended;
    }
  }
  SLUICE_RETURN_IF_ERROR(reader.status());
  if (appended > 0) wal_remaining[seq] += static_cast<uint32_t>(appended);
  return appended;
}

void LogShard::Start() {
  Impl& m = *impl_;
  if (m.writer.started()) return;
  m.last_age_check = m.clock.SteadyNow();
  m.writer.Start(fmt::format("sluice-shard-{}", shard_.index), [this] { impl_->WriterLoop(); });
}

void LogShard::Stop() { impl_->writer.Stop(); }

void LogShard::Submit(std::string record, Done done) {
  impl_->writer.queue.enqueue(Submission{std::move(record), std::move(done), false, {}});
}

Status LogShard::SealAll() {
  return impl_->writer.SealAll([this](bool force_all) { impl_->MaybeSeal(force_all); });
}

LogShardStats LogShard::Stats() const {
  std::shared_lock lock(impl_->mu);
  LogShardStats stats;
  stats.streams = impl_->streams.size();
  stats.head_bytes = impl_->head_bytes;
  stats.pending_wal_records = impl_->wal_remaining.size();
  impl_->streams.ForEach([&](const Stream& s) { stats.head_entries += s.head.entries.size(); });
  return stats;
}

std::optional<std::pair<int64_t, int64_t>> LogShard::TimeRange() const {
  std::shared_lock lock(impl_->mu);
  std::optional<std::pair<int64_t, int64_t>> range;
  impl_->streams.ForEach([&](const Stream& s) {
    if (s.has_data) range = MergeTimeRanges(range, std::make_pair(s.min_ts, s.max_ts));
  });
  return range;
}

void LogShard::Impl::WriterLoop() {
  RunShardWriter(
      writer.queue, writer.stopping, options.durability, last_sync, options.fsync_interval,
      options.seal_on_stop, [this](std::vector<Submission>& writes) { Commit(writes); },
      [this](bool force_all) { MaybeSeal(force_all); });
}

Stream* LogShard::Impl::ResolveStream(std::string_view tenant, Labels labels,
                                      rocksdb::WriteBatch* batch, std::vector<Stream*>* created) {
  if (Stream* s = streams.Find(tenant, labels)) return s;
  for (Stream* s : *created) {
    if (s->tenant == tenant && s->labels == labels) return s;
  }
  auto reserved = [&](uint64_t id) {
    return std::any_of(created->begin(), created->end(), [&](Stream* s) { return s->id == id; });
  };
  auto stream = std::make_unique<Stream>();
  stream->id = streams.AllocateId(tenant, labels, reserved);
  stream->tenant = std::string(tenant);
  stream->labels = std::move(labels);
  batch->Put(shard.cf(Cf::kLogStreams), keys::U64(stream->id), EncodeStreamRecord(*stream));
  created->push_back(stream.release());
  return created->back();
}

void LogShard::Impl::Commit(std::vector<Submission>& batch) {
  auto started = SteadyClock::now();
  rocksdb::WriteBatch wb;
  std::vector<Stream*> created;  // owned here until the write succeeds
  std::vector<PendingEntry> entries;
  std::vector<Status> results(batch.size());
  Labels labels;
  for (size_t i = 0; i < batch.size(); ++i) {
    uint64_t seq = next_wal_seq++;
    WalRecordReader reader(batch[i].record);
    results[i] = reader.Open();
    size_t first_entry = entries.size();
    uint64_t count = 0;
    while (results[i].ok() && reader.NextStream(&labels, &count)) {
      Stream* stream = ResolveStream(reader.tenant(), labels, &wb, &created);
      for (uint64_t k = 0; k < count; ++k) {
        PendingEntry e{stream, seq, 0, {}, {}};
        if (!reader.NextEntry(&e.ts, &e.line, &e.metadata)) break;
        entries.push_back(e);
      }
    }
    if (results[i].ok()) results[i] = reader.status();
    if (!results[i].ok()) {
      entries.resize(first_entry);  // a malformed record is refused alone
      continue;
    }
    wb.Put(shard.cf(Cf::kLogWal), keys::U64(seq), batch[i].record);
  }

  rocksdb::WriteOptions wo;
  wo.sync = options.durability != Durability::kNever;
  Status written;
  if (wb.Count() > 0) {
    written = shard.disk != nullptr ? shard.disk->Check() : Status::Ok();
    if (written.ok()) written = FromRocks(shard.db->Write(wo, &wb), "writing the log WAL");
  }
  last_sync = SteadyClock::now();
  metrics->wal_commits.Increment();
  metrics->wal_commit_seconds.Observe(std::chrono::duration<double>(last_sync - started).count());

  if (!written.ok()) {
    metrics->wal_failures.Increment();
    // A full disk is logged once by the DiskSpaceGuard, not once per refused commit.
    if (written.code() != StatusCode::kUnavailable) {
      spdlog::error("shard {}: {}", shard.index, written.message());
    }
    for (Stream* s : created) delete s;
    for (Submission& s : batch) s.done(written);
    return;
  }

  uint64_t line_bytes = 0;
  {
    std::unique_lock lock(mu);
    for (Stream* s : created) streams.Add(std::unique_ptr<Stream>(s));
    for (const PendingEntry& e : entries) {
      AppendToHead(*e.stream, e.seq, e.ts, e.line, e.metadata);
      line_bytes += e.line.size();
    }
  }
  // Entries of one record are consecutive: count them per record, not per entry.
  for (size_t i = 0; i < entries.size();) {
    size_t j = i;
    while (j < entries.size() && entries[j].seq == entries[i].seq) ++j;
    wal_remaining[entries[i].seq] += static_cast<uint32_t>(j - i);
    i = j;
  }
  metrics->streams.Increment(static_cast<double>(created.size()));
  metrics->entries_written.Increment(static_cast<double>(entries.size()));
  metrics->line_bytes_written.Increment(static_cast<double>(line_bytes));
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(results[i]);
}

void LogShard::Impl::AppendToHead(Stream& stream, uint64_t seq, int64_t ts, std::string_view line,
                                  std::string_view metadata) {
  Head& head = stream.head;
  size_t before = head.MemoryBytes();
  if (head.entries.empty()) {
    head.first_append_steady_ns = SteadyNanos();
    head.min_ts = head.max_ts = ts;
  } else {
    head.min_ts = std::min(head.min_ts, ts);
    head.max_ts = std::max(head.max_ts, ts);
  }
  HeadEntry e;
  e.timestamp_ns = ts;
  e.line_offset = static_cast<uint32_t>(head.data.size());
  e.line_size = static_cast<uint32_t>(line.size());
  head.data.append(line);
  e.metadata_offset = static_cast<uint32_t>(head.data.size());
  e.metadata_size = static_cast<uint32_t>(metadata.size());
  head.data.append(metadata);
  head.entries.push_back(e);
  stream.ExtendTimeRange(ts);
  if (!head.wal_refs.empty() && head.wal_refs.back().first == seq) {
    ++head.wal_refs.back().second;
  } else {
    head.wal_refs.emplace_back(seq, 1);
  }
  size_t after = head.MemoryBytes();
  head_bytes += after - before;
  metrics->head_bytes.Increment(static_cast<double>(after - before));
  if (head.data.size() >= options.block_target_bytes && !head.seal_queued) {
    head.seal_queued = true;
    full_heads.push_back(&stream);
  }
}

void LogShard::Impl::MaybeSeal(bool force_all) {
  std::vector<Stream*> to_seal;
  auto add = [&](Stream* s) {
    if (!s->head.entries.empty()) to_seal.push_back(s);
  };
  auto now = clock.SteadyNow();
  if (force_all) {
    streams.ForEach([&](Stream& s) { add(&s); });
  } else {
    for (Stream* s : full_heads) add(s);
    if (now - last_age_check >= kAgeCheckPeriod) {
      last_age_check = now;
      int64_t oldest_allowed = SteadyNanos() - options.block_max_age.count();
      streams.ForEach([&](Stream& s) {
        if (!s.head.entries.empty() && !s.head.seal_queued &&
            s.head.first_append_steady_ns <= oldest_allowed) {
          add(&s);
        }
      });
    }
    if (head_bytes > options.head_memory_limit) {
      // Over the memory limit: seal the largest heads until three quarters of it are free.
      std::vector<Stream*> all;
      streams.ForEach([&](Stream& s) {
        if (!s.head.entries.empty()) all.push_back(&s);
      });
      std::sort(all.begin(), all.end(),
                [](Stream* a, Stream* b) { return a->head.MemoryBytes() > b->head.MemoryBytes(); });
      uint64_t projected = head_bytes;
      for (Stream* s : all) {
        if (projected <= options.head_memory_limit / 4 * 3) break;
        projected -= std::min<uint64_t>(projected, s->head.MemoryBytes());
        add(s);
      }
    }
  }
  full_heads.clear();
  std::sort(to_seal.begin(), to_seal.end());
  to_seal.erase(std::unique(to_seal.begin(), to_seal.end()), to_seal.end());

  std::vector<Stream*> group;
  uint64_t group_bytes = 0;
  auto flush = [&] {
    if (group.empty()) return;
    Status s = SealStreams(group);
    if (!s.ok())
      spdlog::error("shard {}: sealing {} streams: {}", shard.index, group.size(), s.message());
    group.clear();
    group_bytes = 0;
  };
  for (Stream* s : to_seal) {
    group.push_back(s);
    group_bytes += s->head.data.size();
    if (group_bytes >= kMaxSealBatchBytes) flush();
  }
  flush();
}

Status LogShard::Impl::SealStreams(const std::vector<Stream*>& to_seal) {
  rocksdb::WriteBatch wb;
  std::vector<BlockEntry> block_entries;
  std::string block;
  std::unordered_map<uint64_t, uint32_t> sealed_from;  // WAL seq -> entries sealed now
  uint64_t block_bytes = 0;
  uint64_t line_bytes = 0;
  uint64_t seq = next_block_seq;
  for (Stream* s : to_seal) {
    const Head& head = s->head;
    block_entries.clear();
    block_entries.reserve(head.entries.size());
    for (const HeadEntry& e : head.entries) {
      block_entries.push_back(
          BlockEntry{e.timestamp_ns, std::string_view(head.data).substr(e.line_offset, e.line_size),
                     std::string_view(head.data).substr(e.metadata_offset, e.metadata_size)});
    }
    BlockHeader header;
    SLUICE_RETURN_IF_ERROR(encoder.Encode(block_entries, &block, &header));
    // Heads fill in WAL order, so every entry of this stream in an older record is sealed now.
    s->wal_floor = head.wal_refs.back().first + 1;
    std::string key = keys::Block(s->id, header.min_ts, seq++);
    wb.Put(shard.cf(Cf::kLogBlocks), key, block);
    wb.Put(shard.cf(Cf::kLogBlockMeta), key, EncodeBlockMeta(header, block.size()));
    wb.Put(shard.cf(Cf::kLogStreams), keys::U64(s->id), EncodeStreamRecord(*s));
    for (const auto& [wal_seq, n] : head.wal_refs) sealed_from[wal_seq] += n;
    block_bytes += block.size();
    line_bytes += header.line_bytes;
  }
  std::vector<uint64_t> drained;
  for (const auto& [wal_seq, n] : sealed_from) {
    if (wal_remaining[wal_seq] == n) {
      wb.SingleDelete(shard.cf(Cf::kLogWal), keys::U64(wal_seq));
      drained.push_back(wal_seq);
    }
  }
  wb.Put(shard.cf(Cf::kDefault), keys::kNextBlockSeq, keys::U64(seq));
  wb.Put(shard.cf(Cf::kDefault), keys::kNextWalSeq, keys::U64(next_wal_seq));

  uint64_t freed = 0;
  {
    // Readers must see each entry either in a head or in a block, never both nor neither.
    std::unique_lock lock(mu);
    SLUICE_RETURN_IF_ERROR(FromRocks(shard.db->Write({}, &wb), "writing log blocks"));
    for (Stream* s : to_seal) {
      freed += s->head.MemoryBytes();
      s->head = Head{};
    }
  }
  next_block_seq = seq;
  for (const auto& [wal_seq, n] : sealed_from) wal_remaining[wal_seq] -= n;
  for (uint64_t wal_seq : drained) wal_remaining.erase(wal_seq);
  head_bytes -= std::min(head_bytes, freed);
  metrics->head_bytes.Decrement(static_cast<double>(freed));
  metrics->blocks_sealed.Increment(static_cast<double>(to_seal.size()));
  metrics->block_bytes.Increment(static_cast<double>(block_bytes));
  metrics->block_line_bytes.Increment(static_cast<double>(line_bytes));
  return Status::Ok();
}

}  // namespace sluice::storage
