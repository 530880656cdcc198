// DeleteRequestStore: the durable list of delete requests (Loki's delete API for logs,
// Prometheus' delete_series for metrics), so that a request accepted survives a restart: both
// hiding its data from reads and being purged later.
//
// In the daemon the requests live in shard 0's RocksDB default column family, in a KvStore
// (alerting/kv_store.h) under the namespace "delete_requests/", written synced:
//
//   delete_requests/ tenant 0xff request_id  -> record (0xff never occurs in a tenant ID)
//
// Record (version 1), varints as in base/coding.h:
//   u8 version=1 | u8 kind | u8 status | zigzag varint start_ms, end_ms, created_at_ms,
//   processed_at_ms | varint entries_deleted | varint n, len-prefixed query *n
//
// A cancelled request is removed, as Loki removes it; a processed one stays, for the list.
//
// Thread-safety: as the KvStore's (every method from any thread); the caller orders writes of one
// request.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/kv_store.h"
#include "base/result.h"

namespace sluice::daemon {

enum class DeleteKind : uint8_t {
  kLogs = 0,     // POST /loki/api/v1/delete
  kMetrics = 1,  // POST /api/v1/admin/tsdb/delete_series
};

enum class DeleteStatus : uint8_t {
  kReceived = 0,   // hidden from reads, not purged yet
  kProcessed = 1,  // purged from storage
};

// "received", "processed": Loki's words.
std::string_view DeleteStatusName(DeleteStatus status);

struct DeleteRequest {
  std::string tenant;
  std::string request_id;  // 8 lowercase hex digits, as Loki's
  DeleteKind kind = DeleteKind::kLogs;
  // Logs: one LogQL query (a stream selector with optional line filters). Metrics: the match[]
  // selectors, a series matching any of them being deleted.
  std::vector<std::string> queries;
  // Unix milliseconds, both inclusive (Loki's and Prometheus' delete ranges).
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t created_at_ms = 0;
  DeleteStatus status = DeleteStatus::kReceived;
  int64_t processed_at_ms = 0;   // when status is kProcessed
  uint64_t entries_deleted = 0;  // log entries or samples the purge removed

  friend bool operator==(const DeleteRequest&, const DeleteRequest&) = default;
};

std::string EncodeDeleteRequest(const DeleteRequest& request);
// Corruption when `bytes` is not a version-1 record; tenant and request_id are not in the value
// (they are the key) and are left empty.
Result<DeleteRequest> DecodeDeleteRequest(std::string_view bytes);

class DeleteRequestStore {
 public:
  // The KvStore namespace of the requests in shard 0's default column family.
  static constexpr std::string_view kNamespace = "delete_requests/";

  explicit DeleteRequestStore(std::unique_ptr<alerting::KvStore> kv) : kv_(std::move(kv)) {}

  // Every request, ordered by tenant then request ID. Corruption names the key that does not
  // decode.
  Result<std::vector<DeleteRequest>> LoadAll() const;
  // Writes (creates or replaces) `request`, synced.
  Status Put(const DeleteRequest& request);
  // Removes the request; removing one that does not exist is not an error.
  Status Remove(std::string_view tenant, std::string_view request_id);

 private:
  std::unique_ptr<alerting::KvStore> kv_;
};

}  // namespace sluice::daemon
