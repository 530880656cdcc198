// ShardSet: the N RocksDB instances ("shards") under the data dir, opened together and closed
// together.
//
// Layout of the data dir:
//   <data_dir>/SLUICE          "sluice-data 1\nshards N\n": format version and shard count. Data is
//                              routed to shards by hash, so the count is fixed once data exists.
//   <data_dir>/shard-000/ ...  one RocksDB database each, with its own write-ahead log
// RocksDB's LOCK file in each shard keeps a second daemon off the same data dir.
//
// Thread-safety: Open and Close are not; the shards' rocksdb::DB handles are thread-safe.
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace sluice::storage {

struct ShardSetOptions {
  std::string data_dir;
  int shards = 1;  // used only when the data dir is new
};

class ShardSet {
 public:
  // Creates the data dir when it does not exist. Fails if it holds a different shard count, a newer
  // format, or is locked by another process.
  static Result<std::unique_ptr<ShardSet>> Open(const ShardSetOptions& options);

  ~ShardSet();
  ShardSet(const ShardSet&) = delete;
  ShardSet& operator=(const ShardSet&) = delete;

  size_t size() const { return dbs_.size(); }
  rocksdb::DB* shard(size_t i) const { return dbs_[i].get(); }
  const std::string& data_dir() const { return data_dir_; }

  // Flushes memtables and the WALs to disk and closes every shard. Idempotent.
  Status Close();

 private:
  explicit ShardSet(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  std::string data_dir_;
  std::vector<std::unique_ptr<rocksdb::DB>> dbs_;
};

}  // namespace sluice::storage
