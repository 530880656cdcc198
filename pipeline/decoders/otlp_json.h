// OTLP's JSON encoding read into the protobuf messages of pipeline/proto/otlp_logs.proto (the
// common/v1 AnyValue, KeyValue, Resource), and attribute values written back as text. Shared by
// the OTLP logs and metrics decoders, which both read JSON into the messages first so that one
// mapping serves both encodings. Internal to the decoders (it includes the generated
// otlp_logs.pb.h, which only sluice::pipeline sees).
//
// The JSON is the proto3 JSON mapping as OTLP uses it
// (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): lowerCamelCase keys, the
// original snake_case accepted too (see KeyIs); 64-bit integers as strings, numbers accepted too;
// doubles as numbers or "NaN", "Infinity", "-Infinity"; bytes as base64; a null object or array
// is an empty one; unknown fields are skipped.
//
// Every error is InvalidArgument and names the field: "invalid OTLP JSON at <where>: <why>".
#pragma once

#include <google/protobuf/repeated_ptr_field.h>
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "otlp_logs.pb.h"
#include "pipeline/decoders/decode_context.h"

namespace sluice::pipeline::otlp_json {

// How deeply AnyValue arrays and maps may nest.
inline constexpr int kMaxDepth = 32;

Status JsonError(simdjson::error_code e, std::string_view where);

// True when `key` is a field's camelCase or snake_case name.
inline bool KeyIs(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

// Calls f(key, value) -> Status for each field of an object, stopping at the first error; null is
// an empty object.
template <typename F>
Status ForEachField(simdjson::ondemand::value v, std::string_view where, F&& f) {
  simdjson::ondemand::json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, where);
  if (type == simdjson::ondemand::json_type::null) return Status::Ok();
  simdjson::ondemand::object object;
  if (auto e = v.get_object().get(object)) return JsonError(e, where);
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return JsonError(e, where);
    simdjson::ondemand::value value;
    if (auto e = field.value().get(value)) return JsonError(e, where);
    SLUICE_RETURN_IF_ERROR(f(key, value));
  }
  return Status::Ok();
}

// Calls f(element) -> Status for each element of an array, stopping at the first error; null is
// an empty array.
template <typename F>
Status ForEachElement(simdjson::ondemand::value v, std::string_view where, F&& f) {
  simdjson::ondemand::json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, where);
  if (type == simdjson::ondemand::json_type::null) return Status::Ok();
  simdjson::ondemand::array array;
  if (auto e = v.get_array().get(array)) return JsonError(e, where);
  for (auto item : array) {
    simdjson::ondemand::value element;
    if (auto e = item.get(element)) return JsonError(e, where);
    SLUICE_RETURN_IF_ERROR(f(element));
  }
  return Status::Ok();
}

// Parses `body` (padded, see PaddedView) with `parser` and calls f(key, value) -> Status for each
// field of the request object. The body must be one object with nothing after it.
template <typename F>
Status ForEachRequestField(simdjson::ondemand::parser* parser, std::string_view body, F&& f) {
  simdjson::ondemand::document doc;
  if (auto e = parser->iterate(PaddedView(body)).get(doc)) return JsonError(e, "the body");
  simdjson::ondemand::value root;
  if (auto e = doc.get_value().get(root)) return JsonError(e, "the body");
  simdjson::ondemand::json_type type;
  if (auto e = root.type().get(type)) return JsonError(e, "the body");
  if (type != simdjson::ondemand::json_type::object) {
    return Status::InvalidArgument("invalid OTLP JSON: the body is not an object");
  }
  SLUICE_RETURN_IF_ERROR(ForEachField(root, "the body", f));
  if (!AtEnd(doc)) {
    return Status::InvalidArgument("invalid OTLP JSON: content after the top-level object");
  }
  return Status::Ok();
}

// The scalars: an integer (a string or a number) must fit in *out.
Status ReadInteger(simdjson::ondemand::value v, std::string_view where, int32_t* out);
Status ReadInteger(simdjson::ondemand::value v, std::string_view where, uint32_t* out);
Status ReadInteger(simdjson::ondemand::value v, std::string_view where, int64_t* out);
Status ReadInteger(simdjson::ondemand::value v, std::string_view where, uint64_t* out);
Status ReadDouble(simdjson::ondemand::value v, std::string_view where, double* out);
Status ReadString(simdjson::ondemand::value v, std::string_view where, std::string* out);
Status ReadBool(simdjson::ondemand::value v, std::string_view where, bool* out);

// Standard or URL-safe base64, padding optional; false on a character outside both alphabets.
bool Base64Decode(std::string_view in, std::string* out);
// Standard base64 with padding.
std::string Base64Encode(std::string_view in);

// An AnyValue ({"stringValue": ...}, {"kvlistValue": {"values": [...]}}, ...) and a KeyValue
// list ([{"key": ..., "value": ...}, ...]); `depth` is the nesting so far (0 at the top),
// checked against kMaxDepth.
Status ReadAnyValue(simdjson::ondemand::value v, int depth, otlp::AnyValue* out);
Status ReadKeyValues(simdjson::ondemand::value v, int depth,
                     google::protobuf::RepeatedPtrField<otlp::KeyValue>* out);
// A Resource: {"attributes": [...]}.
Status ReadResource(simdjson::ondemand::value v, otlp::Resource* out);

// pcommon.Value.AsString, what an attribute value becomes as a label or metadata value: strings
// as they are; numbers and booleans as Go prints them (doubles as ES6 does, "NaN", "+Inf",
// "-Inf"); bytes as base64; arrays and maps as Go's json.Marshal writes them (map keys sorted,
// <, > and & escaped); an unset value as "".
std::string AsString(const otlp::AnyValue& v);

// The JSON of an Export*ServiceResponse: "{}" when nothing was rejected and there is no message,
// else {"partialSuccess":{"<rejected_key>":"<rejected>","errorMessage":"..."}} (int64 is a
// string in OTLP JSON).
std::string PartialSuccessJson(std::string_view rejected_key, int64_t rejected,
                               std::string_view error_message);

}  // namespace sluice::pipeline::otlp_json
