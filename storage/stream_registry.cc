#include "storage/stream_registry.h"

#include <algorithm>

#include "storage/postings.h"

namespace sluice::storage {

const Stream* StreamRegistry::Find(std::string_view tenant, const Labels& labels) const {
  for (uint64_t id = StreamFingerprint(tenant, labels);; ++id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return nullptr;
    if (it->second->tenant == tenant && it->second->labels == labels) return it->second.get();
  }
}

Stream* StreamRegistry::FindById(uint64_t id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

const Stream* StreamRegistry::FindById(uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

void StreamRegistry::Insert(Postings& p, uint64_t id) {
  p.insert(std::lower_bound(p.begin(), p.end(), id), id);
}

Stream* StreamRegistry::Add(std::unique_ptr<Stream> stream) {
  uint64_t id = stream->id;
  TenantIndex& index = tenants_[stream->tenant];
  for (const Label& l : stream->labels) Insert(index.postings[l.name][l.value], id);
  Insert(index.all, id);
  Stream* raw = stream.get();
  by_id_[id] = std::move(stream);
  return raw;
}

bool StreamRegistry::Remove(uint64_t id) {
  auto it = by_id_.find(id);
  // Find probes from a stream's fingerprint up to the first free id: freeing this one would hide
  // a stream that collided into the next (a 64-bit collision, in practice never).
  if (it == by_id_.end() || by_id_.count(id + 1) != 0) return false;
  const Stream& stream = *it->second;
  auto tenant_it = tenants_.find(stream.tenant);
  TenantIndex& index = tenant_it->second;
  for (const Label& l : stream.labels) RemoveFromPostings(index.postings, l.name, l.value, id);
  ErasePosting(index.all, id);
  if (index.all.empty()) tenants_.erase(tenant_it);
  by_id_.erase(it);
  return true;
}

std::vector<const Stream*> StreamRegistry::Select(std::string_view tenant,
                                                  const LabelMatchers& matchers, int64_t start,
                                                  int64_t end) const {
  std::vector<const Stream*> out;
  auto tenant_it = tenants_.find(std::string(tenant));
  if (tenant_it == tenants_.end()) return out;
  Postings scratch;
  const Postings* candidates =
      MatchingPostings(tenant_it->second.postings, tenant_it->second.all, matchers, &scratch);
  for (uint64_t id : *candidates) {
    const Stream& s = *by_id_.at(id);
    if (!s.Overlaps(start, end)) continue;
    bool ok = std::all_of(matchers.begin(), matchers.end(),
                          [&](const LabelMatcher& m) { return m.MatchesLabels(s.labels); });
    if (ok) out.push_back(&s);
  }
  return out;
}

size_t StreamRegistry::CountForTenant(std::string_view tenant) const {
  auto it = tenants_.find(std::string(tenant));
  return it == tenants_.end() ? 0 : it->second.all.size();
}

bool StreamRegistry::Contains(std::string_view tenant, const Labels& labels) const {
  return Find(tenant, labels) != nullptr;
}

}  // namespace sluice::storage
