#include "alerting/kv_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <vector>

#include "storage/shard_set.h"

namespace sluice::alerting {

Status KvStore::Write(const std::vector<KvWrite>& writes) {
  for (const KvWrite& w : writes) {
    Status s = w.erase ? Delete(w.key) : Put(w.key, w.value);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status MemoryKvStore::Put(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  data_.insert_or_assign(std::string(key), std::string(value));
  return Status::Ok();
}

Status MemoryKvStore::Delete(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = data_.find(key);
  if (it != data_.end()) data_.erase(it);
  return Status::Ok();
}

Status MemoryKvStore::Scan(
    std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  // Copied out so that the visitor may write to the store.
  std::vector<std::pair<std::string, std::string>> matches;
  {
    std::lock_guard lock(mu_);
    for (auto it = data_.lower_bound(prefix); it != data_.end() && it->first.starts_with(prefix);
         ++it) {
      matches.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [k, v] : matches) {
    if (!visit(k, v)) break;
  }
  return Status::Ok();
}

namespace {

class RocksKvStore final : public KvStore {
 public:
  RocksKvStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string prefix)
      : db_(db), cf_(cf), prefix_(std::move(prefix)) {
    write_options_.sync = true;
  }

  Status Put(std::string_view key, std::string_view value) override {
    std::string full = prefix_ + std::string(key);
    return storage::FromRocks(
        db_->Put(write_options_, cf_, full, rocksdb::Slice(value.data(), value.size())),
        "alerting state write");
  }

  Status Delete(std::string_view key) override {
    std::string full = prefix_ + std::string(key);
    return storage::FromRocks(db_->Delete(write_options_, cf_, full), "alerting state delete");
  }

  Status Write(const std::vector<KvWrite>& writes) override {
    rocksdb::WriteBatch batch;
    for (const KvWrite& w : writes) {
      std::string full = prefix_ + w.key;
      rocksdb::Status s = w.erase ? batch.Delete(cf_, full) : batch.Put(cf_, full, w.value);
      if (!s.ok()) return storage::FromRocks(s, "alerting state batch");
    }
    return storage::FromRocks(db_->Write(write_options_, &batch), "alerting state write");
  }

  Status Scan(std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    std::string full = prefix_ + std::string(prefix);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_));
    for (it->Seek(full); it->Valid() && it->key().starts_with(full); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      key.remove_prefix(prefix_.size());
      if (!visit(key, std::string_view(it->value().data(), it->value().size()))) break;
    }
    return storage::FromRocks(it->status(), "alerting state scan");
  }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::string prefix_;
  rocksdb::WriteOptions write_options_;
};

}  // namespace

std::unique_ptr<KvStore> MakeRocksKvStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                          std::string namespace_prefix) {
  return std::make_unique<RocksKvStore>(db, cf, std::move(namespace_prefix));
}

}  // namespace sluice::alerting
