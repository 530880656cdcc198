// KvStore: the small durable key-value space alerting keeps its state in (alert state of each
// rule, the notification outbox). In the daemon it is a key prefix in shard 0's RocksDB default
// column family, written with sync so that what a Put returned survives a crash; tests use the
// in-memory one.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace sluice::alerting {

// One change of a batch: a put, or a delete when `erase` is set.
struct KvWrite {
  std::string key;
  std::string value;
  bool erase = false;
};

class KvStore {
 public:
  virtual ~KvStore() = default;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // Applies the writes in order, atomically where the store can (RocksDB: one synced batch, so
  // a rule group's evaluation costs one fsync however many alerts changed).
  virtual Status Write(const std::vector<KvWrite>& writes);
  // Every key starting with `prefix`, in key order; the visitor returns false to stop.
  virtual Status Scan(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const = 0;
};

class MemoryKvStore final : public KvStore {
 public:
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  Status Scan(std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& visit) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> data_;
};

// Keys are stored under `namespace_prefix` (e.g. "alerting/") in `cf` of `db`, which must outlive
// the store.
std::unique_ptr<KvStore> MakeRocksKvStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                          std::string namespace_prefix);

}  // namespace sluice::alerting
