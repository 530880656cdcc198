#include "storage/wal_record.h"

#include "base/coding.h"

namespace sluice::storage {

namespace {
constexpr uint8_t kWalRecordVersion = 1;
}  // namespace

void EncodeWalRecord(const LogBatch& batch, const std::vector<uint32_t>& streams,
                     const std::vector<std::vector<uint32_t>>& entries_by_stream,
                     std::string* out) {
  out->push_back(static_cast<char>(kWalRecordVersion));
  PutLengthPrefixed(out, batch.tenant());
  PutVarint(out, streams.size());
  for (uint32_t s : streams) {
    const LogStream& stream = batch.streams()[s];
    PutVarint(out, stream.labels.size());
    for (const Label& l : stream.labels) {
      PutLengthPrefixed(out, l.name);
      PutLengthPrefixed(out, l.value);
    }
    const std::vector<uint32_t>& entries = entries_by_stream[s];
    PutVarint(out, entries.size());
    int64_t previous = 0;
    for (uint32_t e : entries) {
      const LogEntry& entry = batch.entries()[e];
      PutVarint(out, ZigZagEncode(entry.timestamp_ns - previous));
      previous = entry.timestamp_ns;
      PutLengthPrefixed(out, batch.Text(entry.line));
      PutLengthPrefixed(out, batch.Text(entry.metadata));
    }
  }
}

bool WalRecordReader::Fail() {
  if (status_.ok()) status_ = Status::Corruption("malformed WAL record");
  return false;
}

Status WalRecordReader::Open() {
  if (in_.empty() || static_cast<uint8_t>(in_[0]) != kWalRecordVersion) {
    status_ = Status::Corruption("WAL record of an unknown version");
    return status_;
  }
  in_.remove_prefix(1);
  if (!GetLengthPrefixed(in_, &tenant_) || !GetVarint(in_, &streams_left_)) {
    Fail();
  }
  return status_;
}

bool WalRecordReader::NextStream(Labels* labels, uint64_t* entry_count) {
  if (!status_.ok() || streams_left_ == 0) return false;
  --streams_left_;
  uint64_t label_count = 0;
  if (!GetVarint(in_, &label_count) || label_count > in_.size()) return Fail();
  labels->clear();
  labels->reserve(label_count);
  for (uint64_t i = 0; i < label_count; ++i) {
    std::string_view name, value;
    if (!GetLengthPrefixed(in_, &name) || !GetLengthPrefixed(in_, &value)) return Fail();
    labels->push_back(Label{std::string(name), std::string(value)});
  }
  if (!GetVarint(in_, entry_count) || *entry_count > in_.size()) return Fail();
  previous_ts_ = 0;
  return true;
}

bool WalRecordReader::NextEntry(int64_t* ts_ns, std::string_view* line,
                                std::string_view* metadata) {
  uint64_t delta = 0;
  if (!GetVarint(in_, &delta) || !GetLengthPrefixed(in_, line) ||
      !GetLengthPrefixed(in_, metadata)) {
    return Fail();
  }
  // Unsigned addition: a damaged record may overflow, which must not be undefined behaviour.
  previous_ts_ = static_cast<int64_t>(static_cast<uint64_t>(previous_ts_) +
                                      static_cast<uint64_t>(ZigZagDecode(delta)));
  *ts_ns = previous_ts_;
  return true;
}

}  // namespace sluice::storage
