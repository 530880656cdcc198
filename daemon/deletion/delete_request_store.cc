#include "daemon/deletion/delete_request_store.h"

#include <fmt/format.h>

#include "base/coding.h"

namespace sluice::daemon {
namespace {

constexpr uint8_t kVersion = 1;
constexpr char kSeparator = '\xff';

std::string Key(std::string_view tenant, std::string_view request_id) {
  std::string key;
  key.reserve(tenant.size() + 1 + request_id.size());
  key.append(tenant);
  key.push_back(kSeparator);
  key.append(request_id);
  return key;
}

}  // namespace

std::string_view DeleteStatusName(DeleteStatus status) {
  return status == DeleteStatus::kProcessed ? "processed" : "received";
}

std::string EncodeDeleteRequest(const DeleteRequest& r) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(r.kind));
  out.push_back(static_cast<char>(r.status));
  for (int64_t t : {r.start_ms, r.end_ms, r.created_at_ms, r.processed_at_ms}) {
    PutVarint(&out, ZigZagEncode(t));
  }
  PutVarint(&out, r.entries_deleted);
  PutVarint(&out, r.queries.size());
  for (const std::string& q : r.queries) PutLengthPrefixed(&out, q);
  return out;
}

Result<DeleteRequest> DecodeDeleteRequest(std::string_view in) {
  auto corrupt = [] { return Status::Corruption("delete request record is malformed"); };
  if (in.size() < 3 || static_cast<uint8_t>(in[0]) != kVersion) return corrupt();
  DeleteRequest r;
  auto kind = static_cast<uint8_t>(in[1]);
  auto status = static_cast<uint8_t>(in[2]);
  if (kind > static_cast<uint8_t>(DeleteKind::kMetrics) ||
      status > static_cast<uint8_t>(DeleteStatus::kProcessed)) {
    return corrupt();
  }
  r.kind = static_cast<DeleteKind>(kind);
  r.status = static_cast<DeleteStatus>(status);
  in.remove_prefix(3);
  for (int64_t* t : {&r.start_ms, &r.end_ms, &r.created_at_ms, &r.processed_at_ms}) {
    uint64_t v = 0;
    if (!GetVarint(in, &v)) return corrupt();
    *t = ZigZagDecode(v);
  }
  uint64_t n = 0;
  if (!GetVarint(in, &r.entries_deleted) || !GetVarint(in, &n) || n > in.size()) return corrupt();
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view q;
    if (!GetLengthPrefixed(in, &q)) return corrupt();
    r.queries.emplace_back(q);
  }
  if (!in.empty()) return corrupt();
  return r;
}

Result<std::vector<DeleteRequest>> DeleteRequestStore::LoadAll() const {
  std::vector<DeleteRequest> out;
  Status bad;
  Status scanned = kv_->Scan("", [&](std::string_view key, std::string_view value) {
    size_t sep = key.find(kSeparator);
    Result<DeleteRequest> r = DecodeDeleteRequest(value);
    if (sep == std::string_view::npos || !r.ok()) {
      std::string printable(key);
      if (sep != std::string_view::npos) printable[sep] = '/';
      bad = Status::Corruption(
          fmt::format("delete request \"{}\" under {} is malformed", printable, kNamespace));
      return false;
    }
    r->tenant = std::string(key.substr(0, sep));
    r->request_id = std::string(key.substr(sep + 1));
    out.push_back(std::move(r).value());
    return true;
  });
  SLUICE_RETURN_IF_ERROR(scanned);
  SLUICE_RETURN_IF_ERROR(bad);
  return out;
}

Status DeleteRequestStore::Put(const DeleteRequest& request) {
  return kv_->Put(Key(request.tenant, request.request_id), EncodeDeleteRequest(request));
}

Status DeleteRequestStore::Remove(std::string_view tenant, std::string_view request_id) {
  return kv_->Delete(Key(tenant, request_id));
}

}  // namespace sluice::daemon
