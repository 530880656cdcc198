#include "storage/labels.h"

#include <fmt/format.h>

#include <algorithm>
#define XXH_INLINE_ALL  // inlined: fingerprints are on the ingest hot path
#include <xxhash.h>

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

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

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
