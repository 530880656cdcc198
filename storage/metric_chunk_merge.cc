#include "storage/metric_chunk_merge.h"

#include <algorithm>

#include "storage/metric_chunk.h"

namespace sluice::storage {

void SortAndDedupe(std::vector<Sample>& samples) {
  auto by_ts = [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; };
  if (!std::is_sorted(samples.begin(), samples.end(), by_ts)) {
    std::stable_sort(samples.begin(), samples.end(), by_ts);
  }
  size_t out = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i + 1 < samples.size() && samples[i + 1].timestamp_ms == samples[i].timestamp_ms) continue;
    samples[out++] = samples[i];
  }
  samples.resize(out);
}

namespace {

// Appends `samples` to `out` cut into pieces of at most `max_piece`.
void AddPieces(std::span<const Sample> samples, size_t max_piece, LateMerge* out) {
  for (size_t begin = 0; begin < samples.size(); begin += max_piece) {
    size_t n = std::min(max_piece, samples.size() - begin);
    out->pieces.emplace_back(samples.begin() + static_cast<std::ptrdiff_t>(begin),
                             samples.begin() + static_cast<std::ptrdiff_t>(begin + n));
  }
}

}  // namespace

Result<LateMerge> MergeLateSamples(std::span<const Sample> late, std::vector<SealedChunk> chunks,
                                   size_t max_piece) {
  max_piece = std::max<size_t>(max_piece, 1);
  std::sort(chunks.begin(), chunks.end(), [](const SealedChunk& a, const SealedChunk& b) {
    return a.min_ts < b.min_ts || (a.min_ts == b.min_ts && a.seq < b.seq);
  });
  LateMerge out;
  size_t next = 0;  // first late sample not placed yet
  auto by_ts = [](const Sample& s, int64_t ts) { return s.timestamp_ms < ts; };
  for (size_t g = 0; g < chunks.size();) {
    // A group: chunks whose ranges overlap one another (only data written before chunks were
    // kept disjoint has them); they are rewritten together or not at all.
    size_t g_end = g + 1;
    int64_t group_max = chunks[g].max_ts;
    while (g_end < chunks.size() && chunks[g_end].min_ts <= group_max) {
      group_max = std::max(group_max, chunks[g_end].max_ts);
      ++g_end;
    }
    int64_t group_min = chunks[g].min_ts;
    // Late samples in the gap before this group become chunks of their own.
    size_t gap_end =
        static_cast<size_t>(std::lower_bound(late.begin() + static_cast<std::ptrdiff_t>(next),
                                             late.end(), group_min, by_ts) -
                            late.begin());
    AddPieces(late.subspan(next, gap_end - next), max_piece, &out);
    size_t in_end = static_cast<size_t>(
        std::upper_bound(late.begin() + static_cast<std::ptrdiff_t>(gap_end), late.end(), group_max,
                         [](int64_t ts, const Sample& s) { return ts < s.timestamp_ms; }) -
        late.begin());
    if (in_end > gap_end) {
      std::sort(chunks.begin() + static_cast<std::ptrdiff_t>(g),
                chunks.begin() + static_cast<std::ptrdiff_t>(g_end),
                [](const SealedChunk& a, const SealedChunk& b) { return a.seq < b.seq; });
      std::vector<Sample> merged;
      for (size_t c = g; c < g_end; ++c) {
        SLUICE_RETURN_IF_ERROR(DecodeChunk(chunks[c].value, &merged));
        out.deleted_keys.push_back(std::move(chunks[c].key));
      }
      merged.insert(merged.end(), late.begin() + static_cast<std::ptrdiff_t>(gap_end),
                    late.begin() + static_cast<std::ptrdiff_t>(in_end));
      SortAndDedupe(merged);
      // Pieces of a rewritten group stay inside its range: they cannot meet another chunk.
      AddPieces(merged, max_piece, &out);
    }
    next = in_end;
    g = g_end;
  }
  AddPieces(late.subspan(next), max_piece, &out);
  return out;
}

}  // namespace sluice::storage
