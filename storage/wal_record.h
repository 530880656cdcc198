// WAL records: how one request's entries for one shard are written to the shard's write-ahead log
// (its `wal` column family) before they are acknowledged, and replayed into heads on restart.
//
//   record  := u8 version=1, varint tenant_len, tenant, varint stream_count, stream x stream_count
//   stream  := varint label_count, (varint len, name, varint len, value) x label_count,
//              varint entry_count, entry x entry_count
//   entry   := varint zigzag(ts_ns - previous ts_ns in this stream, starting at 0),
//              varint line_len, line, varint metadata_len, metadata (storage/metadata_codec.h)
//
// A record is self-contained (it names its streams by labels), so replay needs nothing else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/log_batch.h"

namespace sluice::storage {

// Encodes the entries of `batch` that belong to `streams` (indexes into batch.streams()).
// `entries_by_stream[s]` lists the entry indexes of stream s in arrival order.
void EncodeWalRecord(const LogBatch& batch, const std::vector<uint32_t>& streams,
                     const std::vector<std::vector<uint32_t>>& entries_by_stream, std::string* out);

// Iterates a record without copying: every view points into the record's bytes.
class WalRecordReader {
 public:
  explicit WalRecordReader(std::string_view record) : in_(record) {}

  // Reads the header. Corruption if the record is malformed or of an unknown version.
  Status Open();
  std::string_view tenant() const { return tenant_; }

  // Advances to the next stream; false at the end. Check status() afterwards.
  bool NextStream(Labels* labels, uint64_t* entry_count);
  // Reads the next entry of the current stream; call exactly entry_count times.
  bool NextEntry(int64_t* ts_ns, std::string_view* line, std::string_view* metadata);

  const Status& status() const { return status_; }

 private:
  bool Fail();

  std::string_view in_;
  std::string_view tenant_;
  uint64_t streams_left_ = 0;
  int64_t previous_ts_ = 0;
  Status status_;
};

}  // namespace sluice::storage
