#include "alerting/notification_payload.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "base/time_format.h"
#include "base/utf8.h"

namespace sluice::alerting {
namespace {

constexpr std::string_view kGoZeroTime = "0001-01-01T00:00:00Z";

// Go's time.Time JSON: RFC 3339 with the fraction's trailing zeros trimmed.
void AppendGoTime(int64_t ms, std::string* out) {
  out->push_back('"');
  if (ms == 0) {
    out->append(kGoZeroTime);
  } else {
    AppendRfc3339Nano(ms * 1'000'000, out);
  }
  out->push_back('"');
}

// go-openapi strfmt.DateTime: "2006-01-02T15:04:05.000Z07:00", always three fractional digits.
void AppendStrfmtDateTime(int64_t ms, std::string* out) {
  if (ms == 0) {  // unset: Go's zero time
    out->append("\"0001-01-01T00:00:00.000Z\"");
    return;
  }
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  fmt::format_to(std::back_inserter(*out), "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 millis);
}

// A Go map[string]string as JSON: keys sorted, which canonical labels already are.
void AppendLabelMap(const storage::Labels& labels, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendGoJsonString(labels[i].name, out);
    out->push_back(':');
    AppendGoJsonString(labels[i].value, out);
  }
  out->push_back('}');
}

void AppendKey(std::string_view key, std::string* out) {
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

// Go's regexp.QuoteMeta: a backslash before each of \.+*?()|[]{}^$.
std::string QuoteMeta(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The pairs every label set of `sets` has with the same value (template.Data's commonLabels).
storage::Labels CommonPairs(const std::vector<const storage::Labels*>& sets) {
  if (sets.empty()) return {};
  storage::Labels common = *sets.front();
  for (size_t i = 1; i < sets.size(); ++i) {
    std::erase_if(common, [&](const storage::Label& l) {
      const storage::Labels& other = *sets[i];
      auto it = std::lower_bound(
          other.begin(), other.end(), l.name,
          [](const storage::Label& x, const std::string& name) { return x.name < name; });
      return it == other.end() || it->name != l.name || it->value != l.value;
    });
  }
  return common;
}

}  // namespace

void AppendGoJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  auto flush = [&](size_t end) { out->append(s.data() + run_start, end - run_start); };
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      // encoding/json's htmlSafeSet: printable ASCII except " \ < > &.
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        ++i;
        continue;
      }
      flush(i);
      switch (c) {
        case '"':
        case '\\':
          out->push_back('\\');
          out->push_back(static_cast<char>(c));
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:  // other control bytes (\b, \f too, before Go 1.22) and < > &
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
      }
      run_start = ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      flush(i);
      out->append("\\ufffd");
      run_start = ++i;
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8/A9) break JavaScript, so Go escapes them.
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      flush(i);
      out->append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
      i += n;
      run_start = i;
      continue;
    }
    i += n;
  }
  flush(s.size());
  out->push_back('"');
}

std::string FingerprintHex(uint64_t fingerprint) { return fmt::format("{:016x}", fingerprint); }

bool AlertPrecedes(const Alert& a, const Alert& b) {
  for (std::string_view key : {std::string_view("job"), std::string_view("instance")}) {
    auto find = [&](const storage::Labels& labels) -> const storage::Label* {
      for (const auto& l : labels) {
        if (l.name == key) return &l;
      }
      return nullptr;
    };
    const storage::Label* av = find(a.labels);
    const storage::Label* bv = find(b.labels);
    if (av == nullptr && bv == nullptr) continue;
    if (av == nullptr) return false;
    if (bv == nullptr) return true;
    if (av->value != bv->value) return av->value < bv->value;
  }
  // model.LabelSet.Before: fewer labels first; else the first differing pair in name order, a
  // missing name sorting first.
  if (a.labels.size() != b.labels.size()) return a.labels.size() < b.labels.size();
  size_t i = 0;
  size_t j = 0;
  while (i < a.labels.size() && j < b.labels.size()) {
    const storage::Label& x = a.labels[i];
    const storage::Label& y = b.labels[j];
    if (x.name != y.name) return x.name > y.name;  // y's name is absent from a: a first
    if (x.value != y.value) return x.value < y.value;
    ++i;
    ++j;
  }
  return false;
}

std::string WebhookPayload(const WebhookMessage& m) {
  std::string out;
  out.reserve(512 + m.alerts.size() * 512);
  bool any_firing = std::any_of(m.alerts.begin(), m.alerts.end(),
                                [&](const Alert& a) { return !a.Resolved(m.now_ms); });
  out.push_back('{');
  AppendKey("receiver", &out);
  AppendGoJsonString(QuoteMeta(m.receiver), &out);
  out.push_back(',');
  AppendKey("status", &out);
  AppendGoJsonString(any_firing ? "firing" : "resolved", &out);
  out.push_back(',');
  AppendKey("alerts", &out);
  out.push_back('[');
  std::vector<const storage::Labels*> labels;
  std::vector<const storage::Labels*> annotations;
  for (size_t i = 0; i < m.alerts.size(); ++i) {
    const Alert& a = m.alerts[i];
    labels.push_back(&a.labels);
    annotations.push_back(&a.annotations);
    if (i > 0) out.push_back(',');
    out.push_back('{');
    AppendKey("status", &out);
    AppendGoJsonString(a.Resolved(m.now_ms) ? "resolved" : "firing", &out);
    out.push_back(',');
    AppendKey("labels", &out);
    AppendLabelMap(a.labels, &out);
    out.push_back(',');
    AppendKey("annotations", &out);
    AppendLabelMap(a.annotations, &out);
    out.push_back(',');
    AppendKey("startsAt", &out);
    AppendGoTime(a.starts_at_ms, &out);
    out.push_back(',');
    AppendKey("endsAt", &out);
    AppendGoTime(a.ends_at_ms, &out);
    out.push_back(',');
    AppendKey("generatorURL", &out);
    AppendGoJsonString(a.generator_url, &out);
    out.push_back(',');
    AppendKey("fingerprint", &out);
    AppendGoJsonString(FingerprintHex(AlertFingerprint(a.labels)), &out);
    out.push_back('}');
  }
  out.push_back(']');
  out.push_back(',');
  AppendKey("groupLabels", &out);
  AppendLabelMap(m.group_labels, &out);
  out.push_back(',');
  AppendKey("commonLabels", &out);
  AppendLabelMap(CommonPairs(labels), &out);
  out.push_back(',');
  AppendKey("commonAnnotations", &out);
  AppendLabelMap(CommonPairs(annotations), &out);
  out.push_back(',');
  AppendKey("externalURL", &out);
  AppendGoJsonString(m.external_url, &out);
  out.push_back(',');
  AppendKey("version", &out);
  out.append("\"4\",");
  AppendKey("groupKey", &out);
  AppendGoJsonString(m.group_key, &out);
  out.push_back(',');
  AppendKey("truncatedAlerts", &out);
  fmt::format_to(std::back_inserter(out), "{}", m.truncated_alerts);
  out.append("}\n");  // json.Encoder.Encode ends the value with a newline
  return out;
}

std::string AlertmanagerV2Body(const std::vector<Alert>& alerts) {
  std::string out;
  out.reserve(alerts.size() * 512 + 2);
  out.push_back('[');
  for (size_t i = 0; i < alerts.size(); ++i) {
    const Alert& a = alerts[i];
    if (i > 0) out.push_back(',');
    out.push_back('{');
    if (!a.annotations.empty()) {
      AppendKey("annotations", &out);
      AppendLabelMap(a.annotations, &out);
      out.push_back(',');
    }
    AppendKey("endsAt", &out);
    AppendStrfmtDateTime(a.ends_at_ms, &out);
    out.push_back(',');
    AppendKey("startsAt", &out);
    AppendStrfmtDateTime(a.starts_at_ms, &out);
    out.push_back(',');
    if (!a.generator_url.empty()) {
      AppendKey("generatorURL", &out);
      AppendGoJsonString(a.generator_url, &out);
      out.push_back(',');
    }
    AppendKey("labels", &out);
    AppendLabelMap(a.labels, &out);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

}  // namespace sluice::alerting
