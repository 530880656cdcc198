// RocksDB keys of the log engine, big-endian so that byte order is the order we scan in.
//
//   log_wal         BE64(record seq)                         -> WAL record (storage/wal_record.h)
//   log_streams     BE64(stream id)                          -> stream record (log_shard.cc)
//   log_blocks      BE64(stream id) ord64(min_ts) BE64(seq)  -> block (storage/log_block.h)
//   log_block_meta  same key as the block                    -> varint count, zigzag max_ts,
//                                                               line bytes, stored bytes
//   default         "log_next_block_seq", "log_next_wal_seq" -> BE64 counters
//
// and of the metrics engine:
//   metric_wal      BE64(record seq)                         -> WAL record (metric_shard.cc)
//   metric_series   BE64(series id)                          -> series record (series_registry.h)
//   metric_chunks   BE64(series id) ord64(min_ts) BE64(seq)  -> sealed chunk (metric_chunk.h)
//   metric_meta     tenant 0xff metric family name           -> metadata record (metric_shard.cc)
//   default         "metric_next_chunk_seq", "metric_next_wal_seq" -> BE64 counters
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/coding.h"

namespace sluice::storage::keys {

inline std::string U64(uint64_t v) {
  std::string k;
  PutFixed64BE(&k, v);
  return k;
}

inline std::string Block(uint64_t stream_id, int64_t min_ts, uint64_t seq) {
  std::string k;
  k.reserve(24);
  PutFixed64BE(&k, stream_id);
  PutOrderedInt64(&k, min_ts);
  PutFixed64BE(&k, seq);
  return k;
}

inline bool ParseBlock(std::string_view k, uint64_t* stream_id, int64_t* min_ts, uint64_t* seq) {
  return k.size() == 24 && GetFixed64BE(k, stream_id) && GetOrderedInt64(k, min_ts) &&
         GetFixed64BE(k, seq);
}

inline constexpr std::string_view kNextBlockSeq = "log_next_block_seq";
inline constexpr std::string_view kNextWalSeq = "log_next_wal_seq";
inline constexpr std::string_view kMetricNextChunkSeq = "metric_next_chunk_seq";
inline constexpr std::string_view kMetricNextWalSeq = "metric_next_wal_seq";

// Chunk keys have the block key's shape: (series id, min_ts, seq).
inline std::string Chunk(uint64_t series_id, int64_t min_ts, uint64_t seq) {
  return Block(series_id, min_ts, seq);
}
inline bool ParseChunk(std::string_view k, uint64_t* series_id, int64_t* min_ts, uint64_t* seq) {
  return ParseBlock(k, series_id, min_ts, seq);
}

}  // namespace sluice::storage::keys
