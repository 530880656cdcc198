#include "storage/shard_set.h"

#include <fmt/format.h>
#include <malloc.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/utilities/table_properties_collectors.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sluice::storage {
namespace {

namespace fs = std::filesystem;
constexpr int kFormatVersion = 1;
constexpr const char* kMetaFile = "SLUICE";

// Reads the shard count recorded in <data_dir>/SLUICE; 0 when the file does not exist.
Result<int> ReadShardCount(const fs::path& meta_path) {
  std::ifstream in(meta_path);
  if (!in) return 0;
  std::string magic, key;
  int version = 0, shards = 0;
  in >> magic >> version >> key >> shards;
  if (!in || magic != "sluice-data" || key != "shards" || shards <= 0) {
    return Status::Corruption(
        fmt::format("{} is not a Sluice data dir marker", meta_path.string()));
  }
  if (version > kFormatVersion) {
    return Status::FailedPrecondition(
        fmt::format("{} was written by a newer Sluice (format {}; this binary reads up to {})",
                    meta_path.string(), version, kFormatVersion));
  }
  return shards;
}

Status WriteShardCount(const fs::path& meta_path, int shards) {
  fs::path tmp = meta_path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "sluice-data " << kFormatVersion << "\nshards " << shards << "\n";
    out.flush();
    if (!out) return Status::IoError(fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, meta_path, ec);
  if (ec) return Status::IoError(fmt::format("cannot rename {}: {}", tmp.string(), ec.message()));
  return Status::Ok();
}

// A flushed memtable is freed at once, but glibc keeps the pages: with `metric_wal` flushing every
// few megabytes that was most of the daemon's RSS (259 MB against 92 MB in use, at 100k series).
// Returning them after each flush, at most once a second across shards, keeps RSS near what is
// in use; malloc_trim takes a few milliseconds on a background thread of RocksDB.
class TrimAfterFlush final : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) override {
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    int64_t last = last_ms_.load(std::memory_order_relaxed);
    if (now - last < 1000 || !last_ms_.compare_exchange_strong(last, now)) return;
    malloc_trim(0);
  }

 private:
  std::atomic<int64_t> last_ms_{0};
};

rocksdb::Options ShardOptions() {
  static const auto trim = std::make_shared<TrimAfterFlush>();
  rocksdb::Options options;
  options.listeners.push_back(trim);
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.compression = rocksdb::kZSTD;
  options.max_background_jobs = 2;
  // Bounds the WAL files kept for column families that flush rarely (log_wal).
  options.max_total_wal_size = 512 << 20;
  // Sluice's own logs and metrics say what happens; keep RocksDB's info log small.
  options.max_log_file_size = 8 << 20;
  options.keep_log_file_num = 3;
  return options;
}

constexpr std::array<const char*, static_cast<size_t>(Cf::kCount)> kCfNames{
    "default",    "log_wal",       "log_streams",   "log_blocks", "log_block_meta",
    "metric_wal", "metric_series", "metric_chunks", "metric_meta"};

rocksdb::ColumnFamilyOptions CfOptions(Cf cf) {
  rocksdb::ColumnFamilyOptions o;
  o.compression = rocksdb::kZSTD;
  if (cf == Cf::kLogBlocks || cf == Cf::kLogBlockMeta || cf == Cf::kMetricChunks) {
    // Retention and delete requests delete blocks and chunks where they lie, deep in old files
    // that new writes seldom reach: a file a quarter deleted is marked for compaction, so the
    // space returns without waiting for the LSM tree to come by.
    o.table_properties_collector_factories.push_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(128, 32, 0.25));
  }
  switch (cf) {
    case Cf::kLogWal:
      // Records live until their entries are sealed into blocks, usually well within one
      // memtable, where a Put and its SingleDelete cancel out: most never reach an SST.
      o.compression = rocksdb::kNoCompression;
      o.write_buffer_size = 64 << 20;
      o.max_write_buffer_number = 4;
      break;
    case Cf::kMetricWal:
      // Records live until every series in them is sealed: up to chunk_max_samples scrapes
      // (30 min at 15 s), far longer than logs. Kept in memory that would cost ~1 KiB per
      // active series; small memtables flush them to SSTs instead, which the range deletes
      // then drop at compaction.
      o.compression = rocksdb::kNoCompression;
      o.write_buffer_size = 8 << 20;
      o.max_write_buffer_number = 4;
      break;
    case Cf::kLogBlocks: {
      o.compression = rocksdb::kNoCompression;  // blocks are zstd-compressed already
      o.write_buffer_size = 64 << 20;
      rocksdb::BlockBasedTableOptions table;
      table.block_size = 64 << 10;
      o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      break;
    }
    case Cf::kMetricSeries:
    case Cf::kMetricMeta:
      // Small records rewritten at every seal (a series' newest sealed time): a 64 MB default
      // memtable would hold about 300 bytes per active series for nothing.
      o.write_buffer_size = 4 << 20;
      break;
    case Cf::kMetricChunks: {
      // Chunks are small (a few hundred bytes); zstd over whole SST blocks of neighbouring chunks
      // (the same series over time, then its neighbours) removes what repeats between them.
      o.write_buffer_size = 8 << 20;
      o.bottommost_compression = rocksdb::kZSTD;
      o.bottommost_compression_opts.level = 9;
      o.bottommost_compression_opts.enabled = true;
      rocksdb::BlockBasedTableOptions table;
      table.block_size = 64 << 10;
      o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      break;
    }
    default:
      break;
  }
  return o;
}

}  // namespace

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = fmt::format("{}: {}", what, s.ToString());
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsIOError()) {
    if (s.IsNoSpace()) return Status::ResourceExhausted(std::move(msg));
    return Status::IoError(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

Result<std::unique_ptr<ShardSet>> ShardSet::Open(const ShardSetOptions& options) {
  if (options.shards <= 0) return Status::InvalidArgument("storage.shards must be positive");
  fs::path dir(options.data_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Status::IoError(
        fmt::format("cannot create data dir {}: {}", dir.string(), ec.message()));
  }
  fs::path meta = dir / kMetaFile;
  SLUICE_ASSIGN_OR_RETURN(int recorded, ReadShardCount(meta));
  int shards = options.shards;
  if (recorded == 0) {
    SLUICE_RETURN_IF_ERROR(WriteShardCount(meta, shards));
  } else if (recorded != shards) {
    return Status::FailedPrecondition(fmt::format(
        "data dir {} holds {} shards but storage.shards asks for {}; set storage.shards: {} (data "
        "is placed by hash, so the count cannot change)",
        dir.string(), recorded, shards, recorded));
  }

  std::unique_ptr<ShardSet> set(new ShardSet(dir.string()));
  set->disk_ = std::make_unique<DiskSpaceGuard>(dir.string(), options.min_free_disk_bytes);
  for (int i = 0; i < shards; ++i) {
    std::string path = (dir / fmt::format("shard-{:03}", i)).string();
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (size_t c = 0; c < kCfNames.size(); ++c) {
      descriptors.emplace_back(kCfNames[c], CfOptions(static_cast<Cf>(c)));
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(ShardOptions(), path, descriptors, &handles, &db);
    if (!s.ok()) {
      Status status = FromRocks(s, fmt::format("opening shard {}", path));
      if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
        status = Status::FailedPrecondition(
            fmt::format("{} is in use by another process (is another sluice running on {}?)", path,
                        dir.string()));
      }
      return status;
    }
    Shard shard;
    shard.index = static_cast<size_t>(i);
    shard.db = db;
    shard.disk = set->disk_.get();
    for (size_t c = 0; c < handles.size(); ++c) shard.cfs[c] = handles[c];
    set->shards_.push_back(shard);
  }
  return set;
}

uint64_t ShardSet::DiskBytes() const {
  uint64_t total = 0;
  for (const Shard& s : shards_) {
    uint64_t v = 0;
    for (rocksdb::ColumnFamilyHandle* cf : s.cfs) {
      if (s.db->GetIntProperty(cf, rocksdb::DB::Properties::kTotalSstFilesSize, &v)) total += v;
    }
    rocksdb::VectorLogPtr wal_files;
    if (s.db->GetSortedWalFiles(wal_files).ok()) {
      for (const auto& f : wal_files) total += f->SizeFileBytes();
    }
  }
  return total;
}

Status ShardSet::CompactAll() {
  for (Shard& shard : shards_) {
    std::vector<rocksdb::ColumnFamilyHandle*> cfs(shard.cfs.begin(), shard.cfs.end());
    SLUICE_RETURN_IF_ERROR(
        FromRocks(shard.db->Flush(rocksdb::FlushOptions(), cfs), "flushing memtables"));
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (rocksdb::ColumnFamilyHandle* cf : shard.cfs) {
      SLUICE_RETURN_IF_ERROR(
          FromRocks(shard.db->CompactRange(options, cf, nullptr, nullptr), "compacting a shard"));
    }
  }
  return Status::Ok();
}

Status ShardSet::CompactData() {
  for (Shard& shard : shards_) {
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    for (Cf cf : {Cf::kLogBlocks, Cf::kLogBlockMeta, Cf::kLogStreams, Cf::kMetricChunks}) {
      SLUICE_RETURN_IF_ERROR(FromRocks(
          shard.db->CompactRange(options, shard.cf(cf), nullptr, nullptr), "compacting a shard"));
    }
  }
  return Status::Ok();
}

Status ShardSet::Close() {
  Status first_error;
  for (Shard& shard : shards_) {
    // Flushing the memtables lets RocksDB drop its WAL files (which hold every raw line) and, in
    // log_wal, cancel each record against its deletion: the data dir is left compact.
    std::vector<rocksdb::ColumnFamilyHandle*> cfs(shard.cfs.begin(), shard.cfs.end());
    rocksdb::Status s = shard.db->Flush(rocksdb::FlushOptions(), cfs);
    if (s.ok()) s = shard.db->FlushWAL(/*sync=*/true);
    for (rocksdb::ColumnFamilyHandle* cf : shard.cfs) {
      rocksdb::Status d = shard.db->DestroyColumnFamilyHandle(cf);
      if (s.ok()) s = d;
    }
    rocksdb::Status c = shard.db->Close();
    if (s.ok()) s = c;
    if (!s.ok() && first_error.ok()) first_error = FromRocks(s, "closing shard");
    delete shard.db;
  }
  shards_.clear();
  return first_error;
}

ShardSet::~ShardSet() { (void)Close(); }

}  // namespace sluice::storage
