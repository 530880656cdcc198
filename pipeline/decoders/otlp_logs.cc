// OTLP logs: the JSON encoding is first read into the protobuf messages (otlp_logs.proto), so
// one mapping serves both encodings.
#include "pipeline/decoders/otlp_logs.h"

#include <fmt/format.h>
#include <google/protobuf/arena.h>

#include <algorithm>

#include "base/json_writer.h"
#include "otlp_logs.pb.h"
#include "pipeline/decoders/otlp_json.h"
#include "pipeline/stream_validation.h"
#include "storage/metadata_codec.h"

namespace sluice::pipeline {
namespace {

using otlp_json::AsString;
using otlp_json::ForEachElement;
using otlp_json::ForEachField;
using otlp_json::KeyIs;
using otlp_json::ReadInteger;
using otlp_json::ReadKeyValues;
using otlp_json::ReadString;
namespace pb = sluice::otlp;

// --- JSON -> protobuf ---------------------------------------------------------------------------

// Trace and span ids are hex in OTLP JSON, not base64 as other bytes fields.
bool HexDecode(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (size_t k = 0; k < 2; ++k) {
      char c = hex[i + k];
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out->push_back(static_cast<char>(v));
  }
  return true;
}

Status ReadLogRecord(simdjson::ondemand::value v, pb::LogRecord* r) {
  return ForEachField(v, "logRecords", [&](std::string_view key, simdjson::ondemand::value fv) {
    if (KeyIs(key, "timeUnixNano", "time_unix_nano")) {
      uint64_t t = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "timeUnixNano", &t));
      r->set_time_unix_nano(t);
    } else if (KeyIs(key, "observedTimeUnixNano", "observed_time_unix_nano")) {
      uint64_t t = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "observedTimeUnixNano", &t));
      r->set_observed_time_unix_nano(t);
    } else if (KeyIs(key, "severityNumber", "severity_number")) {
      int32_t n = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "severityNumber", &n));
      r->set_severity_number(n);
    } else if (KeyIs(key, "severityText", "severity_text")) {
      return ReadString(fv, "severityText", r->mutable_severity_text());
    } else if (key == "body") {
      return otlp_json::ReadAnyValue(fv, 0, r->mutable_body());
    } else if (key == "attributes") {
      return ReadKeyValues(fv, 0, r->mutable_attributes());
    } else if (KeyIs(key, "droppedAttributesCount", "dropped_attributes_count")) {
      uint32_t n = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "droppedAttributesCount", &n));
      r->set_dropped_attributes_count(n);
    } else if (key == "flags") {
      uint32_t n = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "flags", &n));
      r->set_flags(n);
    } else if (KeyIs(key, "traceId", "trace_id") || KeyIs(key, "spanId", "span_id")) {
      std::string_view hex;
      if (auto e = fv.get_string().get(hex)) return otlp_json::JsonError(e, key);
      std::string* out = key[0] == 't' ? r->mutable_trace_id() : r->mutable_span_id();
      if (!HexDecode(hex, out)) {
        return Status::InvalidArgument(
            fmt::format("invalid OTLP JSON at {}: not a hex string", key));
      }
    } else if (KeyIs(key, "eventName", "event_name")) {
      return ReadString(fv, "eventName", r->mutable_event_name());
    }
    return Status::Ok();
  });
}

Status ReadScope(simdjson::ondemand::value v, pb::InstrumentationScope* s) {
  return ForEachField(v, "scope", [&](std::string_view key, simdjson::ondemand::value fv) {
    if (key == "name") return ReadString(fv, "scope.name", s->mutable_name());
    if (key == "version") return ReadString(fv, "scope.version", s->mutable_version());
    if (key == "attributes") return ReadKeyValues(fv, 0, s->mutable_attributes());
    return Status::Ok();
  });
}

Status ReadScopeLogs(simdjson::ondemand::value v,
                     google::protobuf::RepeatedPtrField<pb::ScopeLogs>* out) {
  return ForEachElement(v, "scopeLogs", [&](simdjson::ondemand::value item) {
    pb::ScopeLogs* scope_logs = out->Add();
    return ForEachField(item, "scopeLogs", [&](std::string_view key, simdjson::ondemand::value fv) {
      if (key == "scope" || KeyIs(key, "instrumentationLibrary", "instrumentation_library")) {
        return ReadScope(fv, scope_logs->mutable_scope());
      }
      if (KeyIs(key, "logRecords", "log_records")) {
        return ForEachElement(fv, "logRecords", [&](simdjson::ondemand::value record) {
          return ReadLogRecord(record, scope_logs->add_log_records());
        });
      }
      return Status::Ok();
    });
  });
}

Status ReadExportRequest(std::string_view body, const DecodeContext& ctx,
                         pb::ExportLogsServiceRequest* request) {
  return otlp_json::ForEachRequestField(
      ctx.json, body, [&](std::string_view key, simdjson::ondemand::value fv) {
        if (!KeyIs(key, "resourceLogs", "resource_logs")) return Status::Ok();
        return ForEachElement(fv, "resourceLogs", [&](simdjson::ondemand::value item) {
          pb::ResourceLogs* rl = request->add_resource_logs();
          return ForEachField(
              item, "resourceLogs", [&](std::string_view rk, simdjson::ondemand::value rv) {
                if (rk == "resource") return otlp_json::ReadResource(rv, rl->mutable_resource());
                if (KeyIs(rk, "scopeLogs", "scope_logs")) {
                  return ReadScopeLogs(rv, rl->mutable_scope_logs());
                }
                if (KeyIs(rk, "instrumentationLibraryLogs", "instrumentation_library_logs")) {
                  return ReadScopeLogs(rv, rl->mutable_instrumentation_library_logs());
                }
                return Status::Ok();
              });
        });
      });
}

// --- protobuf -> LogBatch -----------------------------------------------------------------------

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// Attributes flattened as Loki does: nested maps become parent_child names.
void Flatten(const google::protobuf::RepeatedPtrField<pb::KeyValue>& attributes,
             const std::string& prefix, std::vector<std::pair<std::string, std::string>>* out) {
  for (const pb::KeyValue& kv : attributes) {
    std::string name =
        prefix.empty() ? NormalizeOtlpName(kv.key()) : prefix + "_" + NormalizeOtlpName(kv.key());
    if (kv.value().value_case() == pb::AnyValue::kKvlistValue) {
      Flatten(kv.value().kvlist_value().values(), name, out);
    } else {
      out->emplace_back(std::move(name), AsString(kv.value()));
    }
  }
}

constexpr std::string_view kServiceNameCandidates[] = {"service",
                                                       "app",
                                                       "application",
                                                       "app_name",
                                                       "name",
                                                       "app_kubernetes_io_name",
                                                       "container",
                                                       "container_name",
                                                       "k8s_container_name",
                                                       "component",
                                                       "workload",
                                                       "job",
                                                       "k8s_job_name"};

class OtlpMapper {
 public:
  OtlpMapper(const OtlpOptions& options, const DecodeContext& ctx, storage::LogBatch* batch,
             OtlpResult* result)
      : options_(options), ctx_(ctx), batch_(batch), result_(result) {}

  void Map(const pb::ExportLogsServiceRequest& request) {
    for (const pb::ResourceLogs& rl : request.resource_logs()) {
      storage::Labels labels;
      std::vector<std::pair<std::string, std::string>> resource_metadata;
      bool has_service_name = false;
      for (const pb::KeyValue& kv : rl.resource().attributes()) {
        bool indexed = std::find(options_.index_attributes.begin(), options_.index_attributes.end(),
                                 kv.key()) != options_.index_attributes.end();
        std::vector<std::pair<std::string, std::string>> flat;
        google::protobuf::RepeatedPtrField<pb::KeyValue> one;
        *one.Add() = kv;
        Flatten(one, "", &flat);
        for (auto& [name, value] : flat) {
          if (indexed) {
            has_service_name = has_service_name || (kv.key() == "service.name" && !value.empty());
            labels.push_back(storage::Label{std::move(name), std::move(value)});
          } else {
            resource_metadata.emplace_back(std::move(name), std::move(value));
          }
        }
      }
      if (!has_service_name) {
        std::string service = "unknown_service";
        for (const storage::Label& l : labels) {
          if (std::find(std::begin(kServiceNameCandidates), std::end(kServiceNameCandidates),
                        l.name) != std::end(kServiceNameCandidates) &&
              !l.value.empty()) {
            service = l.value;
            break;
          }
        }
        std::erase_if(labels, [](const storage::Label& l) { return l.name == "service_name"; });
        labels.push_back(storage::Label{"service_name", service});
      }
      const auto& scopes =
          rl.scope_logs_size() > 0 ? rl.scope_logs() : rl.instrumentation_library_logs();
      size_t records = 0;
      for (const pb::ScopeLogs& sl : scopes) records += static_cast<size_t>(sl.log_records_size());
      Status valid = ValidateStreamLabels(labels, *ctx_.limits);
      if (!valid.ok()) {
        Reject(static_cast<int64_t>(records), valid.message());
        continue;
      }
      uint32_t stream = batch_->AddStream(labels);
      for (const pb::ScopeLogs& sl : scopes) {
        std::vector<std::pair<std::string, std::string>> scope_metadata;
        Flatten(sl.scope().attributes(), "", &scope_metadata);
        if (!sl.scope().name().empty())
          scope_metadata.emplace_back("scope_name", sl.scope().name());
        if (!sl.scope().version().empty())
          scope_metadata.emplace_back("scope_version", sl.scope().version());
        for (const pb::LogRecord& r : sl.log_records()) {
          MapRecord(r, labels, stream, resource_metadata, scope_metadata);
        }
      }
    }
  }

 private:
  void Reject(int64_t n, std::string_view why) {
    if (result_->rejected == 0) result_->error_message = std::string(why);
    result_->rejected += n;
  }

  void MapRecord(const pb::LogRecord& r, const storage::Labels& labels, uint32_t stream,
                 const std::vector<std::pair<std::string, std::string>>& resource_metadata,
                 const std::vector<std::pair<std::string, std::string>>& scope_metadata) {
    std::string line = AsString(r.body());
    std::string_view line_view = line;
    Status line_ok = CheckLine(line_view, labels, *ctx_.limits);
    if (!line_ok.ok()) {
      Reject(1, line_ok.message());
      return;
    }
    std::vector<std::pair<std::string, std::string>> metadata;
    Flatten(r.attributes(), "", &metadata);
    if (r.time_unix_nano() != 0 && r.observed_time_unix_nano() != 0) {
      metadata.emplace_back("observed_timestamp", std::to_string(r.observed_time_unix_nano()));
    }
    if (r.severity_number() != 0)
      metadata.emplace_back("severity_number", std::to_string(r.severity_number()));
    if (!r.severity_text().empty()) metadata.emplace_back("severity_text", r.severity_text());
    if (r.dropped_attributes_count() != 0) {
      metadata.emplace_back("dropped_attributes_count",
                            std::to_string(r.dropped_attributes_count()));
    }
    if (r.flags() != 0) metadata.emplace_back("flags", std::to_string(r.flags()));
    if (!r.trace_id().empty() && !AllZero(r.trace_id()))
      metadata.emplace_back("trace_id", Hex(r.trace_id()));
    if (!r.span_id().empty() && !AllZero(r.span_id()))
      metadata.emplace_back("span_id", Hex(r.span_id()));
    metadata.insert(metadata.end(), resource_metadata.begin(), resource_metadata.end());
    metadata.insert(metadata.end(), scope_metadata.begin(), scope_metadata.end());
    encoder_.Clear();
    int pairs = 0;
    for (const auto& [name, value] : metadata) {
      if (value.empty()) continue;
      encoder_.Add(name, value);
      ++pairs;
    }
    std::string encoded = encoder_.Finish();
    Status meta_ok = CheckMetadata(encoded, pairs, labels, *ctx_.limits);
    if (!meta_ok.ok()) {
      Reject(1, meta_ok.message());
      return;
    }
    uint64_t t = r.time_unix_nano() != 0 ? r.time_unix_nano() : r.observed_time_unix_nano();
    int64_t ts =
        t != 0 && t < static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(t) : ctx_.now_ns;
    batch_->AddEntry(stream, ts, line_view, encoded);
  }

  const OtlpOptions& options_;
  const DecodeContext& ctx_;
  storage::LogBatch* batch_;
  OtlpResult* result_;
  storage::MetadataEncoder encoder_;
};

}  // namespace

std::string NormalizeOtlpName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 4);
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(ok ? c : '_');
  }
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out = "key_" + out;
  if (!out.empty() && out[0] == '_' && (out.size() == 1 || out[1] != '_')) out = "key" + out;
  return out;
}

Status DecodeOtlpLogsJson(std::string_view body, const OtlpOptions& options,
                          const DecodeContext& ctx, storage::LogBatch* batch, OtlpResult* result) {
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<pb::ExportLogsServiceRequest>(&arena);
  SLUICE_RETURN_IF_ERROR(ReadExportRequest(body, ctx, request));
  OtlpMapper(options, ctx, batch, result).Map(*request);
  return Status::Ok();
}

Status DecodeOtlpLogsProto(std::string_view body, const OtlpOptions& options,
                           const DecodeContext& ctx, storage::LogBatch* batch, OtlpResult* result) {
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<pb::ExportLogsServiceRequest>(&arena);
  if (body.size() > static_cast<size_t>(INT32_MAX) ||
      !request->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument(
        "malformed OTLP protobuf body (expected an ExportLogsServiceRequest)");
  }
  OtlpMapper(options, ctx, batch, result).Map(*request);
  return Status::Ok();
}

std::string OtlpResponseJson(const OtlpResult& result) {
  return otlp_json::PartialSuccessJson("rejectedLogRecords", result.rejected, result.error_message);
}

std::string OtlpResponseProto(const OtlpResult& result) {
  pb::ExportLogsServiceResponse response;
  if (result.rejected != 0 || !result.error_message.empty()) {
    response.mutable_partial_success()->set_rejected_log_records(result.rejected);
    response.mutable_partial_success()->set_error_message(result.error_message);
  }
  return response.SerializeAsString();
}

std::string OtlpErrorJson(std::string_view message) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("code");
  w.Int(3);  // INVALID_ARGUMENT; clients decide by the HTTP status
  w.Key("message");
  w.String(message);
  w.EndObject();
  return out;
}

std::string OtlpErrorProto(std::string_view message) {
  pb::Status status;
  status.set_code(3);
  status.set_message(std::string(message));
  return status.SerializeAsString();
}

}  // namespace sluice::pipeline
