// OTLP logs: the JSON encoding is first read into the protobuf messages (otlp_logs.proto), so
// one mapping serves both encodings.
#include "pipeline/decoders/otlp_logs.h"

#include <fmt/format.h>
#include <google/protobuf/arena.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/json_writer.h"
#include "otlp_logs.pb.h"
#include "pipeline/stream_validation.h"
#include "storage/metadata_codec.h"

namespace sluice::pipeline {
namespace {

using simdjson::ondemand::json_type;
namespace pb = sluice::otlp;

constexpr int kMaxDepth = 32;

// --- JSON -> protobuf ---------------------------------------------------------------------------

Status JsonError(simdjson::error_code e, std::string_view where) {
  return Status::InvalidArgument(
      fmt::format("invalid OTLP JSON at {}: {}", where, simdjson::error_message(e)));
}

// int64/uint64 fields are JSON strings in OTLP, but numbers are accepted too.
template <typename T>
Status ReadInteger(simdjson::ondemand::value v, std::string_view where, T* out) {
  json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, where);
  std::string_view text;
  if (type == json_type::string) {
    if (auto e = v.get_string().get(text)) return JsonError(e, where);
  } else if (type == json_type::number) {
    text = TrimJsonToken(v.raw_json_token());
    double d;
    if (auto e = v.get_double().get(d)) return JsonError(e, where);
  } else {
    return Status::InvalidArgument(
        fmt::format("invalid OTLP JSON at {}: expected an integer", where));
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(
        fmt::format("invalid OTLP JSON at {}: \"{}\" is not an integer", where, text));
  }
  return Status::Ok();
}

Status ReadString(simdjson::ondemand::value v, std::string_view where, std::string* out) {
  std::string_view s;
  if (auto e = v.get_string().get(s)) return JsonError(e, where);
  out->assign(s);
  return Status::Ok();
}

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

bool Base64Decode(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  out->clear();
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return true;
}

Status ReadAnyValue(simdjson::ondemand::value v, int depth, pb::AnyValue* out);

Status ReadKeyValues(simdjson::ondemand::value v, int depth,
                     google::protobuf::RepeatedPtrField<pb::KeyValue>* out) {
  if (depth > kMaxDepth) return Status::InvalidArgument("OTLP attributes nested too deeply");
  json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, "attributes");
  if (type == json_type::null) return Status::Ok();
  simdjson::ondemand::array array;
  if (auto e = v.get_array().get(array)) return JsonError(e, "attributes");
  for (auto item : array) {
    simdjson::ondemand::object kv;
    if (auto e = item.get_object().get(kv)) return JsonError(e, "attributes");
    pb::KeyValue* pair = out->Add();
    for (auto field : kv) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return JsonError(e, "attributes");
      simdjson::ondemand::value fv;
      if (auto e = field.value().get(fv)) return JsonError(e, "attributes");
      if (key == "key") {
        SLUICE_RETURN_IF_ERROR(ReadString(fv, "attributes.key", pair->mutable_key()));
      } else if (key == "value") {
        SLUICE_RETURN_IF_ERROR(ReadAnyValue(fv, depth + 1, pair->mutable_value()));
      }
    }
  }
  return Status::Ok();
}

Status ReadAnyValue(simdjson::ondemand::value v, int depth, pb::AnyValue* out) {
  if (depth > kMaxDepth) return Status::InvalidArgument("OTLP value nested too deeply");
  json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, "value");
  if (type == json_type::null) return Status::Ok();
  simdjson::ondemand::object obj;
  if (auto e = v.get_object().get(obj)) return JsonError(e, "value");
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return JsonError(e, "value");
    simdjson::ondemand::value fv;
    if (auto e = field.value().get(fv)) return JsonError(e, "value");
    if (key == "stringValue" || key == "string_value") {
      SLUICE_RETURN_IF_ERROR(ReadString(fv, "stringValue", out->mutable_string_value()));
    } else if (key == "boolValue" || key == "bool_value") {
      bool b;
      if (auto e = fv.get_bool().get(b)) return JsonError(e, "boolValue");
      out->set_bool_value(b);
    } else if (key == "intValue" || key == "int_value") {
      int64_t i = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "intValue", &i));
      out->set_int_value(i);
    } else if (key == "doubleValue" || key == "double_value") {
      json_type dt;
      if (auto e = fv.type().get(dt)) return JsonError(e, "doubleValue");
      double d = 0;
      if (dt == json_type::string) {  // "NaN", "Infinity", "-Infinity"
        std::string_view s;
        if (auto e = fv.get_string().get(s)) return JsonError(e, "doubleValue");
        d = s == "NaN"         ? NAN
            : s == "Infinity"  ? INFINITY
            : s == "-Infinity" ? -INFINITY
                               : std::strtod(std::string(s).c_str(), nullptr);
      } else if (auto e = fv.get_double().get(d)) {
        return JsonError(e, "doubleValue");
      }
      out->set_double_value(d);
    } else if (key == "bytesValue" || key == "bytes_value") {
      std::string_view s;
      if (auto e = fv.get_string().get(s)) return JsonError(e, "bytesValue");
      if (!Base64Decode(s, out->mutable_bytes_value())) {
        return Status::InvalidArgument("invalid OTLP JSON at bytesValue: not base64");
      }
    } else if (key == "arrayValue" || key == "array_value" || key == "kvlistValue" ||
               key == "kvlist_value") {
      bool is_array = key[0] == 'a';
      simdjson::ondemand::object inner;
      if (auto e = fv.get_object().get(inner)) return JsonError(e, key);
      for (auto f : inner) {
        std::string_view k;
        if (auto e = f.unescaped_key().get(k)) return JsonError(e, key);
        if (k != "values") continue;
        simdjson::ondemand::value values;
        if (auto e = f.value().get(values)) return JsonError(e, key);
        if (is_array) {
          json_type vt;
          if (auto e = values.type().get(vt)) return JsonError(e, key);
          pb::ArrayValue* array = out->mutable_array_value();
          if (vt == json_type::null) continue;
          simdjson::ondemand::array items;
          if (auto e = values.get_array().get(items)) return JsonError(e, key);
          for (auto item : items) {
            simdjson::ondemand::value iv;
            if (auto e = item.get(iv)) return JsonError(e, key);
            SLUICE_RETURN_IF_ERROR(ReadAnyValue(iv, depth + 1, array->add_values()));
          }
        } else {
          SLUICE_RETURN_IF_ERROR(
              ReadKeyValues(values, depth + 1, out->mutable_kvlist_value()->mutable_values()));
        }
      }
      if (is_array)
        out->mutable_array_value();
      else
        out->mutable_kvlist_value();
    }
  }
  return Status::Ok();
}

Status ReadLogRecord(simdjson::ondemand::object obj, pb::LogRecord* r) {
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return JsonError(e, "logRecords");
    simdjson::ondemand::value v;
    if (auto e = field.value().get(v)) return JsonError(e, "logRecords");
    if (key == "timeUnixNano" || key == "time_unix_nano") {
      uint64_t t = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(v, "timeUnixNano", &t));
      r->set_time_unix_nano(t);
    } else if (key == "observedTimeUnixNano" || key == "observed_time_unix_nano") {
      uint64_t t = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(v, "observedTimeUnixNano", &t));
      r->set_observed_time_unix_nano(t);
    } else if (key == "severityNumber" || key == "severity_number") {
      int32_t n = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(v, "severityNumber", &n));
      r->set_severity_number(n);
    } else if (key == "severityText" || key == "severity_text") {
      SLUICE_RETURN_IF_ERROR(ReadString(v, "severityText", r->mutable_severity_text()));
    } else if (key == "body") {
      SLUICE_RETURN_IF_ERROR(ReadAnyValue(v, 0, r->mutable_body()));
    } else if (key == "attributes") {
      SLUICE_RETURN_IF_ERROR(ReadKeyValues(v, 0, r->mutable_attributes()));
    } else if (key == "droppedAttributesCount" || key == "dropped_attributes_count") {
      uint32_t n = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(v, "droppedAttributesCount", &n));
      r->set_dropped_attributes_count(n);
    } else if (key == "flags") {
      uint32_t n = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(v, "flags", &n));
      r->set_flags(n);
    } else if (key == "traceId" || key == "trace_id" || key == "spanId" || key == "span_id") {
      std::string_view hex;
      if (auto e = v.get_string().get(hex)) return JsonError(e, key);
      std::string* out = key[0] == 't' ? r->mutable_trace_id() : r->mutable_span_id();
      if (!HexDecode(hex, out)) {
        return Status::InvalidArgument(
            fmt::format("invalid OTLP JSON at {}: not a hex string", key));
      }
    } else if (key == "eventName" || key == "event_name") {
      SLUICE_RETURN_IF_ERROR(ReadString(v, "eventName", r->mutable_event_name()));
    }
  }
  return Status::Ok();
}

Status ReadScopeLogs(simdjson::ondemand::value v,
                     google::protobuf::RepeatedPtrField<pb::ScopeLogs>* out) {
  simdjson::ondemand::array array;
  if (auto e = v.get_array().get(array)) return JsonError(e, "scopeLogs");
  for (auto item : array) {
    simdjson::ondemand::object obj;
    if (auto e = item.get_object().get(obj)) return JsonError(e, "scopeLogs");
    pb::ScopeLogs* scope_logs = out->Add();
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return JsonError(e, "scopeLogs");
      simdjson::ondemand::value fv;
      if (auto e = field.value().get(fv)) return JsonError(e, "scopeLogs");
      if (key == "scope" || key == "instrumentationLibrary" || key == "instrumentation_library") {
        simdjson::ondemand::object scope;
        if (auto e = fv.get_object().get(scope)) return JsonError(e, "scope");
        pb::InstrumentationScope* s = scope_logs->mutable_scope();
        for (auto sf : scope) {
          std::string_view sk;
          if (auto e = sf.unescaped_key().get(sk)) return JsonError(e, "scope");
          simdjson::ondemand::value sv;
          if (auto e = sf.value().get(sv)) return JsonError(e, "scope");
          if (sk == "name") {
            SLUICE_RETURN_IF_ERROR(ReadString(sv, "scope.name", s->mutable_name()));
          } else if (sk == "version") {
            SLUICE_RETURN_IF_ERROR(ReadString(sv, "scope.version", s->mutable_version()));
          } else if (sk == "attributes") {
            SLUICE_RETURN_IF_ERROR(ReadKeyValues(sv, 0, s->mutable_attributes()));
          }
        }
      } else if (key == "logRecords" || key == "log_records") {
        simdjson::ondemand::array records;
        if (auto e = fv.get_array().get(records)) return JsonError(e, "logRecords");
        for (auto record : records) {
          simdjson::ondemand::object robj;
          if (auto e = record.get_object().get(robj)) return JsonError(e, "logRecords");
          SLUICE_RETURN_IF_ERROR(ReadLogRecord(robj, scope_logs->add_log_records()));
        }
      }
    }
  }
  return Status::Ok();
}

Status ReadExportRequest(std::string_view body, const DecodeContext& ctx,
                         pb::ExportLogsServiceRequest* request) {
  simdjson::ondemand::document doc;
  if (auto e = ctx.json->iterate(PaddedView(body)).get(doc)) return JsonError(e, "the body");
  simdjson::ondemand::object root;
  if (auto e = doc.get_object().get(root)) return JsonError(e, "the body");
  for (auto field : root) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return JsonError(e, "the body");
    if (key != "resourceLogs" && key != "resource_logs") continue;
    simdjson::ondemand::array resources;
    if (auto e = field.value().get_array().get(resources)) return JsonError(e, "resourceLogs");
    for (auto item : resources) {
      simdjson::ondemand::object obj;
      if (auto e = item.get_object().get(obj)) return JsonError(e, "resourceLogs");
      pb::ResourceLogs* rl = request->add_resource_logs();
      for (auto rf : obj) {
        std::string_view rk;
        if (auto e = rf.unescaped_key().get(rk)) return JsonError(e, "resourceLogs");
        simdjson::ondemand::value rv;
        if (auto e = rf.value().get(rv)) return JsonError(e, "resourceLogs");
        if (rk == "resource") {
          simdjson::ondemand::object res;
          if (auto e = rv.get_object().get(res)) return JsonError(e, "resource");
          for (auto f : res) {
            std::string_view k;
            if (auto e = f.unescaped_key().get(k)) return JsonError(e, "resource");
            if (k != "attributes") continue;
            simdjson::ondemand::value av;
            if (auto e = f.value().get(av)) return JsonError(e, "resource");
            SLUICE_RETURN_IF_ERROR(
                ReadKeyValues(av, 0, rl->mutable_resource()->mutable_attributes()));
          }
        } else if (rk == "scopeLogs" || rk == "scope_logs") {
          SLUICE_RETURN_IF_ERROR(ReadScopeLogs(rv, rl->mutable_scope_logs()));
        } else if (rk == "instrumentationLibraryLogs" || rk == "instrumentation_library_logs") {
          SLUICE_RETURN_IF_ERROR(ReadScopeLogs(rv, rl->mutable_instrumentation_library_logs()));
        }
      }
    }
  }
  return Status::Ok();
}

// --- protobuf -> LogBatch -----------------------------------------------------------------------

// Go's json.Marshal escapes <, > and & in strings; pcommon.Value.AsString inherits that.
void AppendGoJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  std::string escaped;
  JsonWriter::AppendEscaped(&escaped, s);
  for (char c : escaped) {
    if (c == '<')
      out->append("\\u003c");
    else if (c == '>')
      out->append("\\u003e");
    else if (c == '&')
      out->append("\\u0026");
    else
      out->push_back(c);
  }
  out->push_back('"');
}

std::string Base64Encode(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kTable[(v >> (6 * k)) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out.push_back(kTable[(v >> 18) & 63]);
    out.push_back(kTable[(v >> 12) & 63]);
    out.append("==");
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out.push_back(kTable[(v >> 18) & 63]);
    out.push_back(kTable[(v >> 12) & 63]);
    out.push_back(kTable[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

// A double as JavaScript/ES6 prints it ('f' notation, 'e' for |x| < 1e-6 or >= 1e21).
std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  double a = std::fabs(d);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    std::string s = fmt::format("{:e}", d);
    return s;
  }
  return fmt::format("{}", d);
}

void AppendJsonValue(std::string* out, const pb::AnyValue& v);

void AppendJsonMap(std::string* out, const pb::KeyValueList& list) {
  std::vector<const pb::KeyValue*> sorted;
  for (const auto& kv : list.values()) sorted.push_back(&kv);
  std::stable_sort(sorted.begin(), sorted.end(), [](const pb::KeyValue* a, const pb::KeyValue* b) {
    return a->key() < b->key();
  });
  out->push_back('{');
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendGoJsonString(out, sorted[i]->key());
    out->push_back(':');
    AppendJsonValue(out, sorted[i]->value());
  }
  out->push_back('}');
}

void AppendJsonValue(std::string* out, const pb::AnyValue& v) {
  switch (v.value_case()) {
    case pb::AnyValue::kStringValue:
      AppendGoJsonString(out, v.string_value());
      break;
    case pb::AnyValue::kBoolValue:
      out->append(v.bool_value() ? "true" : "false");
      break;
    case pb::AnyValue::kIntValue:
      out->append(std::to_string(v.int_value()));
      break;
    case pb::AnyValue::kDoubleValue:
      if (std::isfinite(v.double_value())) {
        out->append(FormatDouble(v.double_value()));
      } else {
        AppendGoJsonString(out, FormatDouble(v.double_value()));
      }
      break;
    case pb::AnyValue::kBytesValue:
      AppendGoJsonString(out, Base64Encode(v.bytes_value()));
      break;
    case pb::AnyValue::kArrayValue: {
      out->push_back('[');
      for (int i = 0; i < v.array_value().values_size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonValue(out, v.array_value().values(i));
      }
      out->push_back(']');
      break;
    }
    case pb::AnyValue::kKvlistValue:
      AppendJsonMap(out, v.kvlist_value());
      break;
    default:
      out->append("null");
  }
}

// pcommon.Value.AsString.
std::string AsString(const pb::AnyValue& v) {
  switch (v.value_case()) {
    case pb::AnyValue::kStringValue:
      return v.string_value();
    case pb::AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case pb::AnyValue::kIntValue:
      return std::to_string(v.int_value());
    case pb::AnyValue::kDoubleValue:
      return FormatDouble(v.double_value());
    case pb::AnyValue::kBytesValue:
      return Base64Encode(v.bytes_value());
    case pb::AnyValue::VALUE_NOT_SET:
      return "";
    default: {
      std::string out;
      AppendJsonValue(&out, v);
      return out;
    }
  }
}

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
  if (result.rejected == 0 && result.error_message.empty()) return "{}";
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("partialSuccess");
  w.BeginObject();
  w.Key("rejectedLogRecords");
  w.String(std::to_string(result.rejected));
  w.Key("errorMessage");
  w.String(result.error_message);
  w.EndObject();
  w.EndObject();
  return out;
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
