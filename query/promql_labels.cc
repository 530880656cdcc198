// The label-set machinery every node of the evaluator shares: label-set hashes, interning
// (equal sets get one dense id) and the series builder that collects a node's output.
#include "query/promql_eval.h"
#include "storage/labels.h"

namespace sluice::query::promql::internal {

uint64_t HashLabels(const Labels& labels) {
  // Any good 64-bit hash of the set serves: storage's, without a tenant.
  return storage::StreamFingerprint({}, labels);
}

Labels DropMetricName(const Labels& labels) {
  Labels out;
  out.reserve(labels.size());
  for (const Label& l : labels) {
    if (l.name != "__name__") out.push_back(l);
  }
  return out;
}

uint32_t LabelInterner::Intern(Labels labels, uint64_t hash) {
  auto [it, inserted] = first_by_hash_.try_emplace(hash, static_cast<uint32_t>(labels_.size()));
  if (!inserted) {
    for (uint32_t id = it->second; id != kNoId; id = next_same_hash_[id]) {
      if (labels_[id] == labels) return id;
    }
    // A collision: chain the new set behind the others with this hash.
    uint32_t id = it->second;
    while (next_same_hash_[id] != kNoId) id = next_same_hash_[id];
    next_same_hash_[id] = static_cast<uint32_t>(labels_.size());
  }
  labels_.push_back(std::move(labels));
  next_same_hash_.push_back(kNoId);
  return static_cast<uint32_t>(labels_.size() - 1);
}

bool SeriesBuilder::AddSeries(uint32_t id, std::vector<Point> points) {
  if (!points_[id].empty()) return false;
  order_.push_back(id);
  added_ += static_cast<int64_t>(points.size());
  points_[id] = std::move(points);
  return true;
}

Matrix SeriesBuilder::Finish() {
  Matrix out;
  out.reserve(order_.size());
  for (uint32_t id : order_) out.push_back({interner_.labels(id), std::move(points_[id])});
  return out;
}

}  // namespace sluice::query::promql::internal
