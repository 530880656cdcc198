#include "alerting/alert_state_codec.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <bit>

#include "base/coding.h"

namespace sluice::alerting {
namespace {

constexpr uint8_t kVersion = 1;

void PutLabels(std::string* out, const storage::Labels& labels) {
  PutVarint(out, labels.size());
  for (const auto& l : labels) {
    PutLengthPrefixed(out, l.name);
    PutLengthPrefixed(out, l.value);
  }
}

bool GetLabels(std::string_view& in, storage::Labels* labels) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > in.size()) return false;
  labels->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name, value;
    if (!GetLengthPrefixed(in, &name) || !GetLengthPrefixed(in, &value)) return false;
    labels->push_back(storage::Label{std::string(name), std::string(value)});
  }
  return true;
}

}  // namespace

std::string EncodeAlertInstance(const AlertInstance& a) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(a.state));
  PutFixed64BE(&out, std::bit_cast<uint64_t>(a.value));
  for (int64_t t : {a.active_at_ms, a.fired_at_ms, a.resolved_at_ms, a.last_sent_at_ms,
                    a.valid_until_ms, a.keep_firing_since_ms}) {
    PutVarint(&out, ZigZagEncode(t));
  }
  PutLabels(&out, a.labels);
  PutLabels(&out, a.annotations);
  return out;
}

Result<AlertInstance> DecodeAlertInstance(std::string_view in) {
  auto corrupt = [] { return Status::Corruption("alert state record is malformed"); };
  if (in.size() < 2 || static_cast<uint8_t>(in[0]) != kVersion) return corrupt();
  AlertInstance a;
  auto state = static_cast<uint8_t>(in[1]);
  if (state > static_cast<uint8_t>(AlertState::kFiring)) return corrupt();
  a.state = static_cast<AlertState>(state);
  in.remove_prefix(2);
  uint64_t bits = 0;
  if (!GetFixed64BE(in, &bits)) return corrupt();
  a.value = std::bit_cast<double>(bits);
  for (int64_t* t : {&a.active_at_ms, &a.fired_at_ms, &a.resolved_at_ms, &a.last_sent_at_ms,
                     &a.valid_until_ms, &a.keep_firing_since_ms}) {
    uint64_t v = 0;
    if (!GetVarint(in, &v)) return corrupt();
    *t = ZigZagDecode(v);
  }
  if (!GetLabels(in, &a.labels) || !GetLabels(in, &a.annotations) || !in.empty()) return corrupt();
  return a;
}

std::string RuleStateKeyPrefix(std::string_view file, std::string_view group,
                               const RuleSpec& rule) {
  std::string identity;
  PutLengthPrefixed(&identity, file);
  PutLengthPrefixed(&identity, group);
  PutLengthPrefixed(&identity, rule.name());
  PutLabels(&identity, rule.labels);
  return fmt::format("alerts/{:016x}/", XXH3_64bits(identity.data(), identity.size()));
}

std::string AlertStateKey(std::string_view rule_prefix, uint64_t fingerprint) {
  return fmt::format("{}{:016x}", rule_prefix, fingerprint);
}

}  // namespace sluice::alerting
