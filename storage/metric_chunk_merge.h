// Merging samples that arrive late — behind what a series has already sealed — into its sealed
// chunks, so that chunks never overlap on disk and a read decodes each sample once.
//
// A late sample inside a chunk's time range joins that chunk (rewritten); late samples between
// chunks form chunks of their own in that gap. Chunks no late sample falls into stay untouched,
// so a backfill into old history rewrites only what it lands in.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "storage/metric_batch.h"

namespace sluice::storage {

// Sorts samples by time keeping, among equal timestamps, only the last one (the newest write:
// callers append older data first).
void SortAndDedupe(std::vector<Sample>& samples);

struct SealedChunk {
  std::string key;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  uint64_t seq = 0;   // write order: the newer of two equal timestamps wins
  std::string value;  // EncodeChunk's output
};

struct LateMerge {
  std::vector<std::string> deleted_keys;
  // Each becomes one chunk; disjoint in time from one another and from every chunk kept.
  std::vector<std::vector<Sample>> pieces;
};

// `late`: sorted, one per timestamp. `chunks`: the sealed chunks whose range meets
// [late.front(), late.back()], in any order. Pieces hold at most `max_piece` samples unless a
// rewritten chunk group is denser (a group is never split across another chunk's range).
Result<LateMerge> MergeLateSamples(std::span<const Sample> late, std::vector<SealedChunk> chunks,
                                   size_t max_piece);

}  // namespace sluice::storage
