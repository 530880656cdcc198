// ShardSet: the N RocksDB instances ("shards") under the data dir, opened together and closed
// together.
//
// Layout of the data dir:
//   <data_dir>/SLUICE          "sluice-data 1\nshards N\n": format version and shard count. Data is
//                              routed to shards by hash, so the count is fixed once data exists.
//   <data_dir>/shard-000/ ...  one RocksDB database each, with its own write-ahead log and the
//                              column families of `Cf` (see storage/keys.h for their keys)
// RocksDB's LOCK file in each shard keeps a second daemon off the same data dir.
//
// Thread-safety: Open and Close are not; the handles are thread-safe.
#pragma once

#include <rocksdb/db.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "storage/disk_space_guard.h"

namespace sluice::storage {

enum class Cf : size_t {
  kDefault,
  kLogWal,
  kLogStreams,
  kLogBlocks,
  kLogBlockMeta,
  kMetricWal,
  kMetricSeries,
  kMetricChunks,
  kMetricMeta,
  kCount
};

struct Shard {
  size_t index = 0;
  rocksdb::DB* db = nullptr;
  // Writes check it before they reach RocksDB (owned by the ShardSet; never null once opened).
  const DiskSpaceGuard* disk = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, static_cast<size_t>(Cf::kCount)> cfs{};
  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cfs[static_cast<size_t>(c)]; }
};

struct ShardSetOptions {
  std::string data_dir;
  int shards = 1;                    // used only when the data dir is new
  uint64_t min_free_disk_bytes = 0;  // writes are refused below it (DiskSpaceGuard); 0 = off
};

// Converts a RocksDB status into ours, naming what was being done.
Status FromRocks(const rocksdb::Status& s, std::string_view what);

class ShardSet {
 public:
  // Creates the data dir when it does not exist. Fails if it holds a different shard count, a newer
  // format, or is locked by another process.
  static Result<std::unique_ptr<ShardSet>> Open(const ShardSetOptions& options);

  ~ShardSet();
  ShardSet(const ShardSet&) = delete;
  ShardSet& operator=(const ShardSet&) = delete;

  size_t size() const { return shards_.size(); }
  const Shard& shard(size_t i) const { return shards_[i]; }
  const std::string& data_dir() const { return data_dir_; }

  // Bytes the shards take on disk (SST and WAL files), from RocksDB's properties.
  uint64_t DiskBytes() const;

  // Flushes every memtable and compacts every column family of every shard: what is deleted is
  // gone from disk and the rest is in its final, most compressed form. For benchmarks measuring
  // bytes on disk, and operators reclaiming space; slow on big data dirs.
  Status CompactAll();

  // Compacts the column families holding log blocks and metric chunks in every shard: what a
  // purge deleted leaves the disk. Rewrites those column families whole; retention calls it
  // only once enough was deleted.
  Status CompactData();

  // Flushes memtables and the WALs to disk and closes every shard. Idempotent.
  Status Close();

 private:
  explicit ShardSet(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  std::string data_dir_;
  std::unique_ptr<DiskSpaceGuard> disk_;
  std::vector<Shard> shards_;
};

}  // namespace sluice::storage
