// Postings: for each label name and value, the sorted ids of the streams or series that carry
// it. Shared by the log and metric registries to select by matchers.
#pragma once

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "storage/label_matcher.h"

namespace sluice::storage {

// The ids that may match every matcher: the intersection of the postings of each matcher that
// cannot match an absent label (those are exact); the others must be checked per id afterwards.
// `by_name` maps a label name to (value -> sorted ids); `all` lists every id. Returns `all`, or
// `scratch` filled with the result.
template <typename Id, typename ByName>
const std::vector<Id>* MatchingPostings(const ByName& by_name, const std::vector<Id>& all,
                                        const LabelMatchers& matchers, std::vector<Id>* scratch) {
  const std::vector<Id>* result = nullptr;
  std::vector<Id> merged;
  for (const LabelMatcher& m : matchers) {
    if (m.MatchesEmpty()) continue;
    auto name_it = by_name.find(m.name());
    if (name_it == by_name.end()) {
      scratch->clear();
      return scratch;
    }
    const std::vector<Id>* these = nullptr;
    if (m.op() == MatchOp::kEqual) {
      auto value_it = name_it->second.find(m.value());
      if (value_it == name_it->second.end()) {
        scratch->clear();
        return scratch;
      }
      these = &value_it->second;
    } else {
      // An id has one value per name, so the lists of different values are disjoint.
      merged.clear();
      for (const auto& [value, ids] : name_it->second) {
        if (m.Matches(value)) merged.insert(merged.end(), ids.begin(), ids.end());
      }
      std::sort(merged.begin(), merged.end());
      these = &merged;
    }
    if (result == nullptr) {
      *scratch = *these;
    } else {
      std::vector<Id> next;
      std::set_intersection(scratch->begin(), scratch->end(), these->begin(), these->end(),
                            std::back_inserter(next));
      scratch->swap(next);
    }
    result = scratch;
    if (scratch->empty()) return scratch;
  }
  return result != nullptr ? result : &all;
}

// Removes `id` from a sorted id list, if there.
template <typename Id>
void ErasePosting(std::vector<Id>& ids, Id id) {
  auto pos = std::lower_bound(ids.begin(), ids.end(), id);
  if (pos != ids.end() && *pos == id) ids.erase(pos);
}

// Removes `id` from the postings of `name`=`value` in `by_name`, dropping the value's list and
// the name's map once empty, so that label listings do not offer what no stream or series has.
template <typename Id, typename ByName>
void RemoveFromPostings(ByName& by_name, const std::string& name, const std::string& value, Id id) {
  auto name_it = by_name.find(name);
  if (name_it == by_name.end()) return;
  auto value_it = name_it->second.find(value);
  if (value_it == name_it->second.end()) return;
  ErasePosting(value_it->second, id);
  if (value_it->second.empty()) name_it->second.erase(value_it);
  if (name_it->second.empty()) by_name.erase(name_it);
}

}  // namespace sluice::storage
