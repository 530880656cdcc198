// StreamRegistry: one shard's streams, by id and by (tenant, labels), with postings per label pair
// for selecting streams by matchers. Not synchronized: LogShard guards it with its mutex.
//
// A stream's id is its fingerprint (storage/labels.h); on the rare collision with a different
// stream the next free id is taken. Ids are persisted with the stream, so the probing order is
// the same after a restart.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/label_matcher.h"
#include "storage/labels.h"

namespace sluice::storage {

struct HeadEntry {
  int64_t timestamp_ns;
  uint32_t line_offset;  // into Head::data
  uint32_t line_size;
  uint32_t metadata_offset;
  uint32_t metadata_size;
};

// Entries received but not yet sealed into a block. Owned by the shard's writer thread; read
// under the shard's shared lock.
struct Head {
  std::vector<HeadEntry> entries;
  std::string data;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  int64_t first_append_steady_ns = 0;                   // when the oldest unsealed entry arrived
  std::vector<std::pair<uint64_t, uint32_t>> wal_refs;  // (WAL record seq, entries from it)
  bool seal_queued = false;  // listed for sealing since it reached the target size

  size_t MemoryBytes() const { return data.capacity() + entries.capacity() * sizeof(HeadEntry); }
};

struct Stream {
  uint64_t id = 0;
  std::string tenant;
  Labels labels;
  int64_t min_ts = 0;  // over everything stored (blocks and head); valid when has_data
  int64_t max_ts = 0;
  bool has_data = false;
  // WAL records below this seq hold no unsealed entries of this stream: replay skips them.
  uint64_t wal_floor = 0;
  Head head;

  void ExtendTimeRange(int64_t ts) {
    if (!has_data) {
      min_ts = max_ts = ts;
      has_data = true;
    } else {
      min_ts = std::min(min_ts, ts);
      max_ts = std::max(max_ts, ts);
    }
  }
  bool Overlaps(int64_t start, int64_t end) const {  // [start, end)
    return has_data && min_ts < end && max_ts >= start;
  }
};

class StreamRegistry {
 public:
  // The stream of (tenant, labels), or nullptr.
  const Stream* Find(std::string_view tenant, const Labels& labels) const;
  Stream* Find(std::string_view tenant, const Labels& labels) {
    return const_cast<Stream*>(std::as_const(*this).Find(tenant, labels));
  }
  Stream* FindById(uint64_t id);
  const Stream* FindById(uint64_t id) const;

  // The id a new stream of (tenant, labels) would get: the first one from its fingerprint that is
  // neither taken nor `reserved` returns true for.
  template <typename Reserved>
  uint64_t AllocateId(std::string_view tenant, const Labels& labels, Reserved reserved) const {
    uint64_t id = StreamFingerprint(tenant, labels);
    while (by_id_.count(id) != 0 || reserved(id)) ++id;
    return id;
  }

  // Takes in a stream whose id, tenant and labels are set (new, or loaded from disk).
  Stream* Add(std::unique_ptr<Stream> stream);

  // Forgets stream `id` and its postings; false (and nothing changes) when it is unknown or
  // cannot be freed without breaking the lookup of a colliding stream.
  bool Remove(uint64_t id);

  // Streams of `tenant` that satisfy every matcher and hold data overlapping [start, end).
  std::vector<const Stream*> Select(std::string_view tenant, const LabelMatchers& matchers,
                                    int64_t start, int64_t end) const;

  template <typename F>
  void ForEach(F f) {
    for (auto& [id, stream] : by_id_) f(*stream);
  }
  template <typename F>
  void ForEach(F f) const {
    for (const auto& [id, stream] : by_id_) f(static_cast<const Stream&>(*stream));
  }
  size_t size() const { return by_id_.size(); }

  // For limits: the streams `tenant` has here, and whether it has the one with these labels.
  size_t CountForTenant(std::string_view tenant) const;
  bool Contains(std::string_view tenant, const Labels& labels) const;

 private:
  using Postings = std::vector<uint64_t>;  // sorted stream ids
  struct TenantIndex {
    std::map<std::string, std::map<std::string, Postings, std::less<>>, std::less<>> postings;
    Postings all;
  };

  static void Insert(Postings& p, uint64_t id);

  std::unordered_map<uint64_t, std::unique_ptr<Stream>> by_id_;
  std::unordered_map<std::string, TenantIndex> tenants_;
};

}  // namespace sluice::storage
