#include "storage/series_registry.h"

#include <algorithm>

#include "base/coding.h"
#include "storage/postings.h"

namespace sluice::storage {

std::string EncodeSeriesRecord(const MetricSeries& s, std::string_view tenant) {
  std::string out;
  out.push_back(1);  // version
  PutLengthPrefixed(&out, tenant);
  PutLengthPrefixed(&out, s.labels);
  out.push_back(s.has_data ? 1 : 0);
  PutVarint(&out, ZigZagEncode(s.min_ts));
  PutVarint(&out, ZigZagEncode(s.max_ts));
  PutVarint(&out, static_cast<uint64_t>(s.max_chunk_span));
  PutVarint(&out, s.wal_floor);
  PutVarint(&out, ZigZagEncode(s.sealed_max_ts));
  return out;
}

bool DecodeSeriesRecord(std::string_view in, MetricSeries* s, std::string* tenant) {
  if (in.empty() || in[0] != 1) return false;
  in.remove_prefix(1);
  std::string_view t, labels;
  if (!GetLengthPrefixed(in, &t) || !GetLengthPrefixed(in, &labels) || in.empty()) return false;
  tenant->assign(t);
  s->labels.assign(labels);
  s->has_data = in[0] != 0;
  in.remove_prefix(1);
  uint64_t lo = 0, hi = 0, span = 0;
  if (!GetVarint(in, &lo) || !GetVarint(in, &hi) || !GetVarint(in, &span) ||
      !GetVarint(in, &s->wal_floor)) {
    return false;
  }
  s->min_ts = ZigZagDecode(lo);
  s->max_ts = ZigZagDecode(hi);
  s->max_chunk_span = static_cast<int64_t>(span);
  // Records written before sealed_max_ts existed: assume chunks reach the newest sample, which
  // at worst makes the next seal look for overlapping chunks needlessly.
  uint64_t sealed = 0;
  if (GetVarint(in, &sealed)) {
    s->sealed_max_ts = ZigZagDecode(sealed);
  } else {
    s->sealed_max_ts = s->has_data ? s->max_ts : MetricSeries::kNoSealedChunk;
  }
  return true;
}

uint32_t SeriesRegistry::InternTenant(std::string_view tenant) {
  auto it = tenant_ids_.find(std::string(tenant));
  if (it != tenant_ids_.end()) return it->second;
  auto index = static_cast<uint32_t>(tenant_names_.size());
  tenant_names_.emplace_back(tenant);
  tenants_.emplace_back();
  tenant_ids_.emplace(std::string(tenant), index);
  return index;
}

int64_t SeriesRegistry::FindTenant(std::string_view tenant) const {
  auto it = tenant_ids_.find(std::string(tenant));
  return it == tenant_ids_.end() ? -1 : static_cast<int64_t>(it->second);
}

const MetricSeries* SeriesRegistry::Find(uint32_t tenant, uint64_t fingerprint,
                                         std::string_view encoded_labels) const {
  if (slots_.empty()) return nullptr;
  size_t mask = slots_.size() - 1;
  for (size_t i = fingerprint & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.series == nullptr) return nullptr;
    if (slot.fingerprint == fingerprint && slot.series->tenant == tenant &&
        slot.series->labels == encoded_labels) {
      return slot.series;
    }
  }
}

void SeriesRegistry::InsertSlot(uint64_t fingerprint, MetricSeries* series) {
  if ((count_ + 1) * 2 > slots_.size()) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(std::max<size_t>(64, old.size() * 2));
    for (const Slot& s : old) {
      if (s.series != nullptr) InsertSlot(s.fingerprint, s.series);
    }
  }
  size_t mask = slots_.size() - 1;
  size_t i = fingerprint & mask;
  while (slots_[i].series != nullptr) i = (i + 1) & mask;
  slots_[i] = Slot{fingerprint, series};
}

MetricSeries* SeriesRegistry::Add(std::unique_ptr<MetricSeries> series) {
  uint32_t id = series->id;
  if (by_id_.size() < id) by_id_.resize(id);
  TenantIndex& index = tenants_[series->tenant];
  ForEachSeriesLabel(series->labels, [&](std::string_view name, std::string_view value) {
    Postings& p = index.postings[std::string(name)][std::string(value)];
    // Ids grow as series are created, so appending keeps postings sorted; loading from disk
    // (in key order) does too.
    if (p.empty() || p.back() < id) {
      p.push_back(id);
    } else {
      p.insert(std::lower_bound(p.begin(), p.end(), id), id);
    }
  });
  if (index.all.empty() || index.all.back() < id) {
    index.all.push_back(id);
  } else {
    index.all.insert(std::lower_bound(index.all.begin(), index.all.end(), id), id);
  }
  MetricSeries* raw = series.get();
  InsertSlot(raw->fingerprint, raw);
  by_id_[id - 1] = std::move(series);
  ++count_;
  return raw;
}

bool SeriesRegistry::Remove(uint32_t id) {
  MetricSeries* s = FindById(id);
  if (s == nullptr) return false;
  TenantIndex& index = tenants_[s->tenant];
  ForEachSeriesLabel(s->labels, [&](std::string_view name, std::string_view value) {
    RemoveFromPostings(index.postings, std::string(name), std::string(value), id);
  });
  ErasePosting(index.all, id);

  // Backward-shift deletion: each later slot of the probe run moves into the hole unless its
  // home lies cyclically in (hole, slot], where a lookup would no longer reach it.
  const size_t mask = slots_.size() - 1;
  size_t hole = s->fingerprint & mask;
  while (slots_[hole].series != s) hole = (hole + 1) & mask;
  slots_[hole] = Slot{};
  for (size_t j = (hole + 1) & mask; slots_[j].series != nullptr; j = (j + 1) & mask) {
    size_t home = slots_[j].fingerprint & mask;
    bool stays = hole < j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    slots_[j] = Slot{};
    hole = j;
  }
  by_id_[id - 1].reset();
  --count_;
  return true;
}

std::vector<const MetricSeries*> SeriesRegistry::Select(std::string_view tenant,
                                                        const LabelMatchers& matchers,
                                                        int64_t start, int64_t end) const {
  std::vector<const MetricSeries*> out;
  int64_t t = FindTenant(tenant);
  if (t < 0) return out;
  Postings scratch;
  const Postings* candidates =
      MatchingPostings(tenants_[static_cast<size_t>(t)].postings,
                       tenants_[static_cast<size_t>(t)].all, matchers, &scratch);
  Labels labels;
  for (uint32_t id : *candidates) {
    const MetricSeries& s = *by_id_[id - 1];
    if (!s.Overlaps(start, end)) continue;
    bool ok = true;
    for (const LabelMatcher& m : matchers) {
      if (!m.MatchesEmpty()) continue;  // exact through the postings already
      if (labels.empty()) ParseSeriesKey(s.labels, &labels);
      if (!m.MatchesLabels(labels)) {
        ok = false;
        break;
      }
    }
    labels.clear();
    if (ok) out.push_back(&s);
  }
  return out;
}

size_t SeriesRegistry::CountForTenant(std::string_view tenant) const {
  int64_t t = FindTenant(tenant);
  return t < 0 ? 0 : tenants_[static_cast<size_t>(t)].all.size();
}

bool SeriesRegistry::Contains(std::string_view tenant, uint64_t fingerprint,
                              std::string_view encoded_labels) const {
  int64_t t = FindTenant(tenant);
  if (t < 0) return false;
  return Find(static_cast<uint32_t>(t), fingerprint, encoded_labels) != nullptr;
}

}  // namespace sluice::storage
