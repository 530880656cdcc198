#include "storage/labels.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#define XXH_INLINE_ALL  // inlined: fingerprints are on the ingest hot path
#include <xxhash.h>

#include "base/utf8.h"

namespace sluice::storage {

Status Canonicalize(Labels& labels) {
  std::sort(labels.begin(), labels.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  for (size_t i = 1; i < labels.size(); ++i) {
    if (labels[i].name == labels[i - 1].name) {
      return Status::InvalidArgument(fmt::format("duplicate label name \"{}\"", labels[i].name));
    }
  }
  return Status::Ok();
}

bool IsValidUtf8(std::string_view s) { return ::sluice::IsValidUtf8(s); }

void AppendLabelsString(const Labels& labels, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->append(", ");
    out->append(labels[i].name);
    out->append("=\"");
    for (char c : labels[i].value) {
      switch (c) {
        case '\\':
          out->append("\\\\");
          break;
        case '"':
          out->append("\\\"");
          break;
        case '\n':
          out->append("\\n");
          break;
        default:
          out->push_back(c);
      }
    }
    out->push_back('"');
  }
  out->push_back('}');
}

std::string LabelsToString(const Labels& labels) {
  std::string out;
  AppendLabelsString(labels, &out);
  return out;
}

std::string_view LabelValue(const Labels& labels, std::string_view name) {
  for (const Label& l : labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

uint64_t StreamFingerprint(std::string_view tenant, const Labels& labels) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  static constexpr char kSep = '\xff';  // never valid inside UTF-8 text
  XXH3_64bits_update(&state, tenant.data(), tenant.size());
  XXH3_64bits_update(&state, &kSep, 1);
  for (const Label& l : labels) {
    XXH3_64bits_update(&state, l.name.data(), l.name.size());
    XXH3_64bits_update(&state, &kSep, 1);
    XXH3_64bits_update(&state, l.value.data(), l.value.size());
    XXH3_64bits_update(&state, &kSep, 1);
  }
  return XXH3_64bits_digest(&state);
}

}  // namespace sluice::storage
