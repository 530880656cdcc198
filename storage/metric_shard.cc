// MetricShard's write path: the writer thread, WAL commits, heads, sealing and recovery.
#include "storage/metric_shard.h"

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <fmt/format.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "base/coding.h"
#include "storage/group_commit.h"
#include "storage/keys.h"
#include "storage/metric_shard_impl.h"

namespace sluice::storage {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kAgeCheckPeriod = std::chrono::seconds(1);
constexpr size_t kMaxSealGroup = 4096;  // series per sealing write batch
// Version 1 restarted the timestamp deltas at each series; version 2 carries them across the
// record: a request's series share one scrape time, so each delta takes a byte or two, not six.
constexpr uint8_t kWalVersionPerSeriesDeltas = 1;
constexpr uint8_t kWalVersion = 2;
// How far ahead Commit prefetches: a slot (or a series) this many series ahead, then what it
// points to this many ahead; enough to cover a DRAM miss with the work of the series between.
constexpr size_t kSlotPrefetch = 16;
constexpr size_t kSeriesPrefetch = 8;
// Resolving a series is one dependency more (slot, series, key): a stage further ahead.
constexpr size_t kFindSlotPrefetch = 24;

// WAL record := u8 version, varint series_count, series x series_count
// series     := varint id, varint n, (zigzag varint ts delta, fixed64 value bits) x n
// The first delta of a record is from 0.
void PutValue(std::string* out, double v) {
  char buf[8];
  uint64_t bits = std::bit_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((bits >> (8 * i)) & 0xff);
  out->append(buf, 8);
}

bool GetValue(std::string_view& in, double* v) {
  if (in.size() < 8) return false;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  in.remove_prefix(8);
  *v = std::bit_cast<double>(bits);
  return true;
}

std::string MetadataKey(std::string_view tenant, std::string_view family) {
  std::string key(tenant);
  key.push_back('\xff');
  key.append(family);
  return key;
}

std::string EncodeMetadata(const MetricMetadata& m) {
  std::string out;
  out.push_back(1);  // version
  out.push_back(static_cast<char>(m.type));
  PutLengthPrefixed(&out, m.help);
  PutLengthPrefixed(&out, m.unit);
  return out;
}

bool DecodeMetadata(std::string_view key, std::string_view in, MetricMetadata* m) {
  size_t sep = key.find('\xff');
  if (sep == std::string_view::npos || in.size() < 2 || in[0] != 1) return false;
  m->family.assign(key.substr(sep + 1));
  m->type = static_cast<MetricType>(static_cast<uint8_t>(in[1]) & 7);
  in.remove_prefix(2);
  std::string_view help, unit;
  if (!GetLengthPrefixed(in, &help) || !GetLengthPrefixed(in, &unit)) return false;
  m->help.assign(help);
  m->unit.assign(unit);
  return true;
}

}  // namespace

MetricShard::MetricShard(const Shard& shard, const MetricShardOptions& options,
                         MetricEngineMetrics* metrics, const Clock& clock)
    : shard_(shard), impl_(std::make_unique<Impl>(shard, options, metrics, clock)) {}

MetricShard::~MetricShard() { Stop(); }

Status MetricShard::Recover() {
  Impl& m = *impl_;
  rocksdb::DB* db = shard_.db;
  std::string value;
  auto read_counter = [&](std::string_view key, uint64_t* out) {
    if (db->Get({}, shard_.cf(Cf::kDefault), key, &value).ok()) {
      std::string_view v(value);
      GetFixed64BE(v, out);
    }
  };
  read_counter(keys::kMetricNextChunkSeq, &m.next_chunk_seq);
  read_counter(keys::kMetricNextWalSeq, &m.next_wal_seq);

  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, shard_.cf(Cf::kMetricSeries)));
  std::string tenant;
  Labels labels;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    uint64_t id = 0;
    auto s = std::make_unique<MetricSeries>();
    if (!GetFixed64BE(key, &id) || id == 0 || id > std::numeric_limits<uint32_t>::max() ||
        !DecodeSeriesRecord(std::string_view(it->value().data(), it->value().size()), s.get(),
                            &tenant) ||
        !ParseSeriesKey(s->labels, &labels)) {
      return Status::Corruption(fmt::format("shard {}: unreadable series record", shard_.index));
    }
    s->id = static_cast<uint32_t>(id);
    s->tenant = m.series.InternTenant(tenant);
    s->fingerprint = SeriesFingerprint(tenant, s->labels);
    m.next_wal_seq = std::max(m.next_wal_seq, s->wal_floor);
    m.series.Add(std::move(s));
  }
  SLUICE_RETURN_IF_ERROR(FromRocks(it->status(), "reading metric series"));

  it.reset(db->NewIterator({}, shard_.cf(Cf::kMetricMeta)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    MetricMetadata md;
    if (!DecodeMetadata(key, std::string_view(it->value().data(), it->value().size()), &md)) {
      return Status::Corruption(fmt::format("shard {}: unreadable metadata record", shard_.index));
    }
    m.metadata.emplace(std::string(key), std::move(md));
  }
  SLUICE_RETURN_IF_ERROR(FromRocks(it->status(), "reading metric metadata"));

  size_t replayed = 0;
  bool first = true;
  it.reset(db->NewIterator({}, shard_.cf(Cf::kMetricWal)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    uint64_t seq = 0;
    if (!GetFixed64BE(key, &seq)) {
      return Status::Corruption(fmt::format("shard {}: bad metric WAL key", shard_.index));
    }
    if (first) m.wal_deleted_below = seq;
    first = false;
    SLUICE_RETURN_IF_ERROR(
        m.ReplayRecord(seq, std::string_view(it->value().data(), it->value().size()))
            .WithContext(
                fmt::format("shard {}: replaying metric WAL record {}", shard_.index, seq)));
    m.next_wal_seq = std::max(m.next_wal_seq, seq + 1);
    ++replayed;
  }
  SLUICE_RETURN_IF_ERROR(FromRocks(it->status(), "reading the metric WAL"));
  if (first) m.wal_deleted_below = m.next_wal_seq;
  m.metrics->series.Increment(static_cast<double>(m.series.size()));
  m.metrics->head_bytes.Increment(static_cast<double>(m.head_bytes));
  if (replayed > 0) {
    spdlog::info("shard {}: replayed {} metric WAL records ({} bytes of unsealed samples)",
                 shard_.index, replayed, m.head_bytes);
  }
  return Status::Ok();
}

Status MetricShard::Impl::ReplayRecord(uint64_t seq, std::string_view in) {
  uint8_t version = in.empty() ? 0 : static_cast<uint8_t>(in[0]);
  if (version != kWalVersion && version != kWalVersionPerSeriesDeltas) {
    return Status::Corruption("unknown metric WAL record version");
  }
  in.remove_prefix(1);
  uint64_t series_count = 0;
  if (!GetVarint(in, &series_count)) return Status::Corruption("truncated metric WAL record");
  int64_t now = SteadyNanos();
  int64_t ts = 0;
  for (uint64_t i = 0; i < series_count; ++i) {
    uint64_t id = 0, n = 0;
    if (!GetVarint(in, &id) || !GetVarint(in, &n) || n > in.size()) {
      return Status::Corruption("truncated metric WAL record");
    }
    MetricSeries* s = id <= std::numeric_limits<uint32_t>::max()
                          ? series.FindById(static_cast<uint32_t>(id))
                          : nullptr;
    if (s == nullptr) return Status::Corruption(fmt::format("unknown series id {}", id));
    if (version == kWalVersionPerSeriesDeltas) ts = 0;
    for (uint64_t k = 0; k < n; ++k) {
      uint64_t delta = 0;
      double v = 0;
      if (!GetVarint(in, &delta) || !GetValue(in, &v)) {
        return Status::Corruption("truncated metric WAL record");
      }
      ts = static_cast<int64_t>(static_cast<uint64_t>(ts) +
                                static_cast<uint64_t>(ZigZagDecode(delta)));
      // Samples of a series sealed after this record was written are in chunks already.
      if (seq >= s->wal_floor) AppendSample(*s, seq, ts, v, now);
    }
  }
  return Status::Ok();
}

void MetricShard::Start() {
  Impl& m = *impl_;
  if (m.writer.started()) return;
  m.last_age_check = m.clock.SteadyNow();
  m.writer.Start(fmt::format("sluice-metric-{}", shard_.index), [this] { impl_->WriterLoop(); });
}

void MetricShard::Stop() { impl_->writer.Stop(); }

void MetricShard::Submit(MetricShardPart part, Done done) {
  impl_->writer.queue.enqueue(Submission{std::move(part), std::move(done), false, {}});
}

Status MetricShard::SealAll() {
  return impl_->writer.SealAll([this](bool force_all) { impl_->MaybeSeal(force_all); });
}

void MetricShard::Impl::WriterLoop() {
  RunShardWriter(
      writer.queue, writer.stopping, options.durability, last_sync, options.fsync_interval,
      options.seal_on_stop, [this](std::vector<Submission>& writes) { Commit(writes); },
      [this](bool force_all) { MaybeSeal(force_all); });
}

void MetricShard::Impl::Commit(std::vector<Submission>& batch) {
  rocksdb::WriteBatch wb;
  std::vector<std::unique_ptr<MetricSeries>> created;
  std::unordered_multimap<uint64_t, MetricSeries*> created_by_fingerprint;
  struct Pending {
    MetricSeries* series;
    uint64_t seq;
    const Sample* samples;
    uint32_t count;
  };
  std::vector<Pending> pending;
  std::vector<std::pair<std::string, const MetricMetadata*>> new_metadata;
  std::string record;
  uint32_t next_id = series.NextId();
  size_t samples_total = 0;

  for (Submission& sub : batch) {
    const MetricShardPart& part = sub.part;
    if (series.FindTenant(part.tenant) < 0) {
      std::unique_lock lock(mu);
      series.InternTenant(part.tenant);
    }
    auto tenant = static_cast<uint32_t>(series.FindTenant(part.tenant));
    uint64_t seq = next_wal_seq++;
    record.clear();
    record.push_back(static_cast<char>(kWalVersion));
    PutVarint(&record, part.series.size());
    int64_t previous = 0;
    const size_t n = part.series.size();
    for (size_t j = 0; j < std::min(n, kFindSlotPrefetch); ++j) {
      series.PrefetchSlot(part.series[j].fingerprint);
    }
    for (size_t j = 0; j < n; ++j) {
      if (j + kFindSlotPrefetch < n) {
        series.PrefetchSlot(part.series[j + kFindSlotPrefetch].fingerprint);
      }
      if (j + kSlotPrefetch < n) series.PrefetchSeries(part.series[j + kSlotPrefetch].fingerprint);
      if (j + kSeriesPrefetch < n) series.PrefetchKey(part.series[j + kSeriesPrefetch].fingerprint);
      const MetricShardPart::Series& ps = part.series[j];
      std::string_view labels =
          std::string_view(part.labels).substr(ps.labels_offset, ps.labels_size);
      MetricSeries* s = series.Find(tenant, ps.fingerprint, labels);
      if (s == nullptr) {
        auto [begin, end] = created_by_fingerprint.equal_range(ps.fingerprint);
        for (auto it = begin; it != end && s == nullptr; ++it) {
          if (it->second->tenant == tenant && it->second->labels == labels) s = it->second;
        }
      }
      if (s == nullptr) {
        auto fresh = std::make_unique<MetricSeries>();
        fresh->id = next_id++;
        fresh->tenant = tenant;
        fresh->fingerprint = ps.fingerprint;
        fresh->labels.assign(labels);
        fresh->wal_floor = seq;
        wb.Put(shard.cf(Cf::kMetricSeries), keys::U64(fresh->id),
               EncodeSeriesRecord(*fresh, part.tenant));
        s = fresh.get();
        created_by_fingerprint.emplace(ps.fingerprint, s);
        created.push_back(std::move(fresh));
      }
      PutVarint(&record, s->id);
      PutVarint(&record, ps.sample_count);
      for (uint32_t k = 0; k < ps.sample_count; ++k) {
        const Sample& sample = part.samples[ps.first_sample + k];
        PutVarint(&record,
                  ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(sample.timestamp_ms) -
                                                    static_cast<uint64_t>(previous))));
        PutValue(&record, sample.value);
        previous = sample.timestamp_ms;
      }
      pending.push_back(Pending{s, seq, part.samples.data() + ps.first_sample, ps.sample_count});
      samples_total += ps.sample_count;
    }
    wb.Put(shard.cf(Cf::kMetricWal), keys::U64(seq), record);
    for (const MetricMetadata& md : part.metadata) {
      std::string key = MetadataKey(part.tenant, md.family);
      auto it = metadata.find(key);
      if (it != metadata.end() && it->second == md) continue;
      wb.Put(shard.cf(Cf::kMetricMeta), key, EncodeMetadata(md));
      new_metadata.emplace_back(std::move(key), &md);
    }
  }

  rocksdb::WriteOptions wo;
  wo.sync = options.durability != Durability::kNever;
  Status written = shard.disk != nullptr ? shard.disk->Check() : Status::Ok();
  if (written.ok()) written = FromRocks(shard.db->Write(wo, &wb), "writing the metric WAL");
  last_sync = SteadyClock::now();
  metrics->wal_commits.Increment();
  if (!written.ok()) {
    metrics->wal_failures.Increment();
    // A full disk is logged once by the DiskSpaceGuard, not once per refused commit.
    if (written.code() != StatusCode::kUnavailable) {
      spdlog::error("shard {}: {}", shard.index, written.message());
    }
    for (Submission& s : batch) s.done(written);
    return;
  }
  {
    std::unique_lock lock(mu);
    for (auto& s : created) series.Add(std::move(s));
    for (auto& [key, md] : new_metadata) metadata[key] = *md;
    int64_t now = SteadyNanos();
    uint64_t head_bytes_before = head_bytes;
    for (size_t j = 0; j < pending.size(); ++j) {
      if (j + kSlotPrefetch < pending.size())
        pending[j + kSlotPrefetch].series->PrefetchForAppend();
      if (j + kSeriesPrefetch < pending.size())
        pending[j + kSeriesPrefetch].series->head.PrefetchTail();
      const Pending& p = pending[j];
      for (uint32_t k = 0; k < p.count; ++k) {
        AppendSample(*p.series, p.seq, p.samples[k].timestamp_ms, p.samples[k].value, now);
      }
    }
    metrics->head_bytes.Increment(static_cast<double>(head_bytes - head_bytes_before));
  }
  metrics->series.Increment(static_cast<double>(created.size()));
  metrics->samples_written.Increment(static_cast<double>(samples_total));
  for (Submission& s : batch) s.done(Status::Ok());
}

void MetricShard::Impl::AppendSample(MetricSeries& s, uint64_t seq, int64_t ts, double value,
                                     int64_t now_ns) {
  if (s.HeadEmpty()) {
    s.head_first_wal_seq = seq;
    s.head_since_steady_ns = now_ns;
  }
  // The in-order path stays within the fields PrefetchForAppend fetched: out_of_order is read
  // only when a sample goes there.
  bool full = false;
  if (s.head.count() == 0 || ts > s.head.last_ts()) {
    size_t before = s.head.MemoryBytes();
    s.head.Append(ts, value);
    head_bytes += s.head.MemoryBytes() - before;  // published per commit, not per sample
    full = s.head.count() >= options.chunk_max_samples;
  } else {
    size_t before = s.out_of_order.capacity();
    s.out_of_order.push_back(Sample{ts, value});
    head_bytes += (s.out_of_order.capacity() - before) * sizeof(Sample);
    full = s.out_of_order.size() >= options.chunk_max_samples;
  }
  s.ExtendTimeRange(ts);
  if (full && !s.seal_queued) {
    s.seal_queued = true;
    full_heads.push_back(&s);
  }
}

void MetricShard::Impl::MaybeSeal(bool force_all) {
  std::vector<MetricSeries*> to_seal;
  auto now = clock.SteadyNow();
  bool periodic = now - last_age_check >= kAgeCheckPeriod;
  if (force_all) {
    series.ForEach([&](MetricSeries& s) {
      if (!s.HeadEmpty()) to_seal.push_back(&s);
    });
  } else {
    to_seal.swap(full_heads);
    if (periodic) {
      last_age_check = now;
      int64_t oldest_allowed = SteadyNanos() - options.chunk_max_age.count();
      series.ForEach([&](MetricSeries& s) {
        if (!s.HeadEmpty() && !s.seal_queued && s.head_since_steady_ns <= oldest_allowed) {
          s.seal_queued = true;
          to_seal.push_back(&s);
        }
      });
    }
    if (head_bytes > options.head_memory_limit) {
      // Over the memory limit: seal the largest heads until three quarters of it are free.
      std::vector<MetricSeries*> all;
      series.ForEach([&](MetricSeries& s) {
        if (!s.HeadEmpty() && !s.seal_queued) all.push_back(&s);
      });
      std::sort(all.begin(), all.end(), [](MetricSeries* a, MetricSeries* b) {
        return a->HeadMemoryBytes() > b->HeadMemoryBytes();
      });
      uint64_t projected = head_bytes;
      for (MetricSeries* s : all) {
        if (projected <= options.head_memory_limit / 4 * 3) break;
        projected -= std::min<uint64_t>(projected, s->HeadMemoryBytes());
        s->seal_queued = true;
        to_seal.push_back(s);
      }
    }
  }
  full_heads.clear();
  for (size_t i = 0; i < to_seal.size(); i += kMaxSealGroup) {
    std::vector<MetricSeries*> group(
        to_seal.begin() + static_cast<std::ptrdiff_t>(i),
        to_seal.begin() + static_cast<std::ptrdiff_t>(std::min(to_seal.size(), i + kMaxSealGroup)));
    Status s = Seal(group);
    if (!s.ok()) {
      spdlog::error("shard {}: sealing {} series: {}", shard.index, group.size(), s.message());
      for (MetricSeries* m : group) m->seal_queued = false;
    }
  }
  if (force_all || periodic) {
    Status s = DeleteSealedWal();
    if (!s.ok()) spdlog::error("shard {}: {}", shard.index, s.message());
  }
}

Status MetricShard::Impl::ReadSealedChunks(const MetricSeries& s, int64_t min_ts, int64_t max_ts,
                                           std::vector<SealedChunk>* out) {
  return ForEachChunk(
      shard, nullptr, s.id, s.max_chunk_span, min_ts, max_ts,
      [&](std::string_view key, uint64_t seq, const ChunkHeader& header, std::string_view value) {
        out->push_back(
            SealedChunk{std::string(key), header.min_ts, header.max_ts, seq, std::string(value)});
        return Status::Ok();
      });
}

Status MetricShard::Impl::Seal(const std::vector<MetricSeries*>& group) {
  rocksdb::WriteBatch wb;
  std::vector<Sample> samples;
  std::string chunk;
  uint64_t seq = next_chunk_seq;
  uint64_t chunk_bytes = 0, chunk_samples = 0, chunks_written = 0, chunks_merged = 0;
  std::vector<MetricSeries> updated(group.size());  // the series records as they will be
  for (size_t i = 0; i < group.size(); ++i) {
    MetricSeries* s = group[i];
    samples.clear();
    s->head.Decode(&samples);
    samples.insert(samples.end(), s->out_of_order.begin(), s->out_of_order.end());
    SortAndDedupe(samples);
    if (samples.empty()) continue;
    MetricSeries& u = updated[i];
    u.max_chunk_span = s->max_chunk_span;
    auto put_chunk = [&](std::span<const Sample> part) {
      chunk.clear();
      EncodeChunk(part, &chunk);
      int64_t min_ts = part.front().timestamp_ms;
      int64_t max_ts = part.back().timestamp_ms;
      wb.Put(shard.cf(Cf::kMetricChunks), keys::Chunk(s->id, min_ts, seq++), chunk);
      u.max_chunk_span = std::max(
          u.max_chunk_span,
          static_cast<int64_t>(static_cast<uint64_t>(max_ts) - static_cast<uint64_t>(min_ts)));
      chunk_bytes += chunk.size();
      ++chunks_written;
    };
    // Samples at or before the newest sealed one are late: they join the chunks they fall in.
    auto fresh = std::upper_bound(samples.begin(), samples.end(), s->sealed_max_ts,
                                  [](int64_t ts, const Sample& x) { return ts < x.timestamp_ms; });
    if (fresh != samples.begin()) {
      std::span<const Sample> late(samples.data(), static_cast<size_t>(fresh - samples.begin()));
      std::vector<SealedChunk> sealed;
      SLUICE_RETURN_IF_ERROR(
          ReadSealedChunks(*s, late.front().timestamp_ms, late.back().timestamp_ms, &sealed));
      Result<LateMerge> merge =
          MergeLateSamples(late, std::move(sealed), options.chunk_max_samples);
      if (!merge.ok()) {
        return merge.status().WithContext(fmt::format("merging late samples of series {}", s->id));
      }
      for (const std::string& key : merge->deleted_keys) {
        wb.Delete(shard.cf(Cf::kMetricChunks), key);
      }
      for (const std::vector<Sample>& piece : merge->pieces) put_chunk(piece);
      chunks_merged += merge->deleted_keys.size();
    }
    if (fresh != samples.end()) {
      put_chunk(std::span<const Sample>(&*fresh, static_cast<size_t>(samples.end() - fresh)));
    }
    u.has_data = s->has_data;
    u.min_ts = s->min_ts;
    u.max_ts = s->max_ts;
    u.labels = s->labels;
    u.sealed_max_ts = std::max(s->sealed_max_ts, samples.back().timestamp_ms);
    // Sealing takes the whole head: no record written so far holds an unsealed sample of it.
    u.wal_floor = next_wal_seq;
    wb.Put(shard.cf(Cf::kMetricSeries), keys::U64(s->id),
           EncodeSeriesRecord(u, series.TenantName(s->tenant)));
    chunk_samples += samples.size();
  }
  wb.Put(shard.cf(Cf::kDefault), keys::kMetricNextChunkSeq, keys::U64(seq));
  wb.Put(shard.cf(Cf::kDefault), keys::kMetricNextWalSeq, keys::U64(next_wal_seq));

  uint64_t freed = 0;
  {
    // Readers must see each sample either in a head or in a chunk, never both nor neither.
    std::unique_lock lock(mu);
    SLUICE_RETURN_IF_ERROR(FromRocks(shard.db->Write({}, &wb), "writing metric chunks"));
    for (size_t i = 0; i < group.size(); ++i) {
      MetricSeries* s = group[i];
      freed += s->HeadMemoryBytes();
      s->head.Clear();
      std::vector<Sample>().swap(s->out_of_order);
      freed -= std::min<uint64_t>(freed, s->HeadMemoryBytes());
      s->wal_floor = updated[i].wal_floor;
      s->max_chunk_span = updated[i].max_chunk_span;
      s->sealed_max_ts = updated[i].sealed_max_ts;
      s->seal_queued = false;
    }
  }
  next_chunk_seq = seq;
  head_bytes -= std::min(head_bytes, freed);
  metrics->head_bytes.Decrement(static_cast<double>(freed));
  metrics->chunks_sealed.Increment(static_cast<double>(chunks_written));
  metrics->chunks_merged.Increment(static_cast<double>(chunks_merged));
  metrics->chunk_bytes.Increment(static_cast<double>(chunk_bytes));
  metrics->chunk_samples.Increment(static_cast<double>(chunk_samples));
  return Status::Ok();
}

Status MetricShard::Impl::DeleteSealedWal() {
  uint64_t floor = next_wal_seq;
  series.ForEach([&](MetricSeries& s) {
    if (!s.HeadEmpty()) floor = std::min(floor, s.head_first_wal_seq);
  });
  if (floor <= wal_deleted_below) return Status::Ok();
  rocksdb::WriteBatch wb;
  wb.DeleteRange(shard.cf(Cf::kMetricWal), keys::U64(wal_deleted_below), keys::U64(floor));
  wb.Put(shard.cf(Cf::kDefault), keys::kMetricNextWalSeq, keys::U64(next_wal_seq));
  SLUICE_RETURN_IF_ERROR(FromRocks(shard.db->Write({}, &wb), "deleting sealed metric WAL records"));
  wal_deleted_below = floor;
  return Status::Ok();
}

}  // namespace sluice::storage
