#include "storage/shard_set.h"

#include <fmt/format.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sluice::storage {
namespace {

namespace fs = std::filesystem;
constexpr int kFormatVersion = 1;
constexpr const char* kMetaFile = "SLUICE";

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = fmt::format("{}: {}", what, s.ToString());
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsIOError()) return Status::IoError(std::move(msg));
  return Status::Internal(std::move(msg));
}

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

rocksdb::Options ShardOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.compression = rocksdb::kZSTD;
  options.max_background_jobs = 2;
  // Sluice's own logs and metrics say what happens; keep RocksDB's info log small.
  options.max_log_file_size = 8 << 20;
  options.keep_log_file_num = 3;
  return options;
}

}  // namespace

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
  for (int i = 0; i < shards; ++i) {
    std::string path = (dir / fmt::format("shard-{:03}", i)).string();
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(ShardOptions(), path, &db);
    if (!s.ok()) {
      Status status = FromRocks(s, fmt::format("opening shard {}", path));
      if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
        status = Status::FailedPrecondition(
            fmt::format("{} is in use by another process (is another sluice running on {}?)", path,
                        dir.string()));
      }
      return status;
    }
    set->dbs_.emplace_back(db);
  }
  return set;
}

Status ShardSet::Close() {
  Status first_error;
  for (auto& db : dbs_) {
    if (!db) continue;
    rocksdb::Status s = db->FlushWAL(/*sync=*/true);
    if (s.ok()) s = db->Close();
    if (!s.ok() && first_error.ok()) first_error = FromRocks(s, "closing shard");
    db.reset();
  }
  dbs_.clear();
  return first_error;
}

ShardSet::~ShardSet() { (void)Close(); }

}  // namespace sluice::storage
