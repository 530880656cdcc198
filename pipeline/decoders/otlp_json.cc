#include "pipeline/decoders/otlp_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "base/json_writer.h"

namespace sluice::pipeline::otlp_json {
namespace {

using simdjson::ondemand::json_type;

template <typename T>
Status ReadIntegerAs(simdjson::ondemand::value v, std::string_view where, T* out) {
  json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, where);
  if (type == json_type::number) {
    if constexpr (std::is_unsigned_v<T>) {
      uint64_t n;
      if (auto e = v.get_uint64().get(n)) return JsonError(e, where);
      if (n > std::numeric_limits<T>::max()) {
        return Status::InvalidArgument(
            fmt::format("invalid OTLP JSON at {}: {} is too large", where, n));
      }
      *out = static_cast<T>(n);
    } else {
      int64_t n;
      if (auto e = v.get_int64().get(n)) return JsonError(e, where);
      if (n > std::numeric_limits<T>::max() || n < std::numeric_limits<T>::min()) {
        return Status::InvalidArgument(
            fmt::format("invalid OTLP JSON at {}: {} is out of range", where, n));
      }
      *out = static_cast<T>(n);
    }
    return Status::Ok();
  }
  if (type != json_type::string) {
    return Status::InvalidArgument(
        fmt::format("invalid OTLP JSON at {}: expected an integer", where));
  }
  std::string_view text;
  if (auto e = v.get_string().get(text)) return JsonError(e, where);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(
        fmt::format("invalid OTLP JSON at {}: \"{}\" is not an integer", where, text));
  }
  return Status::Ok();
}

// pcommon's float64AsString: ES6 number formatting, the shortest digits that read back as `v`,
// with an exponent below 1e-6 and from 1e21 on.
std::string FormatAttributeFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  double a = std::fabs(v);
  bool exponent = a != 0 && (a < 1e-6 || a >= 1e21);
  char buf[400];  // the longest fixed form of a double (denormals) is under 400 characters
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), v,
                    exponent ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, end);
  // Go writes "1e-07" where ES6 writes "1e-7".
  if (size_t e = s.find("e-0"); exponent && e != std::string::npos) s.erase(e + 2, 1);
  return s;
}

// Go's json.Marshal escapes <, > and & in strings; pcommon.Value.AsString inherits that.
void AppendGoJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  std::string escaped;
  JsonWriter::AppendEscaped(&escaped, s);
  for (char c : escaped) {
    if (c == '<') {
      out->append("\\u003c");
    } else if (c == '>') {
      out->append("\\u003e");
    } else if (c == '&') {
      out->append("\\u0026");
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendJsonValue(std::string* out, const otlp::AnyValue& v);

// As Go's json.Marshal writes a map: keys sorted.
void AppendJsonMap(std::string* out, const otlp::KeyValueList& list) {
  std::vector<const otlp::KeyValue*> sorted;
  for (const otlp::KeyValue& kv : list.values()) sorted.push_back(&kv);
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const otlp::KeyValue* a, const otlp::KeyValue* b) { return a->key() < b->key(); });
  out->push_back('{');
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendGoJsonString(out, sorted[i]->key());
    out->push_back(':');
    AppendJsonValue(out, sorted[i]->value());
  }
  out->push_back('}');
}

void AppendJsonValue(std::string* out, const otlp::AnyValue& v) {
  switch (v.value_case()) {
    case otlp::AnyValue::kStringValue:
      AppendGoJsonString(out, v.string_value());
      break;
    case otlp::AnyValue::kBoolValue:
      out->append(v.bool_value() ? "true" : "false");
      break;
    case otlp::AnyValue::kIntValue:
      out->append(std::to_string(v.int_value()));
      break;
    case otlp::AnyValue::kDoubleValue:
      // NaN and infinities are not JSON numbers.
      if (std::isfinite(v.double_value())) {
        out->append(FormatAttributeFloat(v.double_value()));
      } else {
        AppendGoJsonString(out, FormatAttributeFloat(v.double_value()));
      }
      break;
    case otlp::AnyValue::kBytesValue:
      AppendGoJsonString(out, Base64Encode(v.bytes_value()));
      break;
    case otlp::AnyValue::kArrayValue:
      out->push_back('[');
      for (int i = 0; i < v.array_value().values_size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonValue(out, v.array_value().values(i));
      }
      out->push_back(']');
      break;
    case otlp::AnyValue::kKvlistValue:
      AppendJsonMap(out, v.kvlist_value());
      break;
    case otlp::AnyValue::VALUE_NOT_SET:
      out->append("null");
      break;
  }
}

}  // namespace

Status JsonError(simdjson::error_code e, std::string_view where) {
  return Status::InvalidArgument(
      fmt::format("invalid OTLP JSON at {}: {}", where, simdjson::error_message(e)));
}

Status ReadInteger(simdjson::ondemand::value v, std::string_view where, int32_t* out) {
  return ReadIntegerAs(v, where, out);
}
Status ReadInteger(simdjson::ondemand::value v, std::string_view where, uint32_t* out) {
  return ReadIntegerAs(v, where, out);
}
Status ReadInteger(simdjson::ondemand::value v, std::string_view where, int64_t* out) {
  return ReadIntegerAs(v, where, out);
}
Status ReadInteger(simdjson::ondemand::value v, std::string_view where, uint64_t* out) {
  return ReadIntegerAs(v, where, out);
}

Status ReadDouble(simdjson::ondemand::value v, std::string_view where, double* out) {
  json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, where);
  if (type == json_type::number) {
    if (auto e = v.get_double().get(*out)) return JsonError(e, where);
    return Status::Ok();
  }
  if (type != json_type::string) {
    return Status::InvalidArgument(
        fmt::format("invalid OTLP JSON at {}: expected a number", where));
  }
  std::string_view text;
  if (auto e = v.get_string().get(text)) return JsonError(e, where);
  if (text == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (text == "Infinity") {
    *out = std::numeric_limits<double>::infinity();
  } else if (text == "-Infinity") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    // The proto3 JSON mapping also allows a number's text as a string.
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Status::InvalidArgument(
          fmt::format("invalid OTLP JSON at {}: \"{}\" is not a number", where, text));
    }
  }
  return Status::Ok();
}

Status ReadString(simdjson::ondemand::value v, std::string_view where, std::string* out) {
  std::string_view s;
  if (auto e = v.get_string().get(s)) return JsonError(e, where);
  out->assign(s);
  return Status::Ok();
}

Status ReadBool(simdjson::ondemand::value v, std::string_view where, bool* out) {
  if (auto e = v.get_bool().get(*out)) return JsonError(e, where);
  return Status::Ok();
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

std::string Base64Encode(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(in[k])); };
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int k = 3; k >= 0; --k) out.push_back(kTable[(v >> (6 * k)) & 63]);
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out.push_back(kTable[(v >> 18) & 63]);
    out.push_back(kTable[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kTable[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Status ReadKeyValues(simdjson::ondemand::value v, int depth,
                     google::protobuf::RepeatedPtrField<otlp::KeyValue>* out) {
  if (depth > kMaxDepth) return Status::InvalidArgument("OTLP attributes nested too deeply");
  return ForEachElement(v, "attributes", [&](simdjson::ondemand::value item) {
    otlp::KeyValue* pair = out->Add();
    return ForEachField(item, "attributes",
                        [&](std::string_view key, simdjson::ondemand::value fv) {
                          if (key == "key")
                            return ReadString(fv, "attributes.key", pair->mutable_key());
                          if (key == "value")
                            return ReadAnyValue(fv, depth + 1, pair->mutable_value());
                          return Status::Ok();
                        });
  });
}

Status ReadAnyValue(simdjson::ondemand::value v, int depth, otlp::AnyValue* out) {
  if (depth > kMaxDepth) return Status::InvalidArgument("OTLP value nested too deeply");
  return ForEachField(v, "value", [&](std::string_view key, simdjson::ondemand::value fv) {
    if (KeyIs(key, "stringValue", "string_value")) {
      return ReadString(fv, "stringValue", out->mutable_string_value());
    }
    if (KeyIs(key, "boolValue", "bool_value")) {
      bool b = false;
      SLUICE_RETURN_IF_ERROR(ReadBool(fv, "boolValue", &b));
      out->set_bool_value(b);
    } else if (KeyIs(key, "intValue", "int_value")) {
      int64_t i = 0;
      SLUICE_RETURN_IF_ERROR(ReadInteger(fv, "intValue", &i));
      out->set_int_value(i);
    } else if (KeyIs(key, "doubleValue", "double_value")) {
      double d = 0;
      SLUICE_RETURN_IF_ERROR(ReadDouble(fv, "doubleValue", &d));
      out->set_double_value(d);
    } else if (KeyIs(key, "bytesValue", "bytes_value")) {
      std::string_view s;
      if (auto e = fv.get_string().get(s)) return JsonError(e, "bytesValue");
      if (!Base64Decode(s, out->mutable_bytes_value())) {
        return Status::InvalidArgument("invalid OTLP JSON at bytesValue: not base64");
      }
    } else if (KeyIs(key, "arrayValue", "array_value")) {
      otlp::ArrayValue* array = out->mutable_array_value();
      return ForEachField(fv, key, [&](std::string_view k, simdjson::ondemand::value values) {
        if (k != "values") return Status::Ok();
        return ForEachElement(values, "arrayValue", [&](simdjson::ondemand::value item) {
          return ReadAnyValue(item, depth + 1, array->add_values());
        });
      });
    } else if (KeyIs(key, "kvlistValue", "kvlist_value")) {
      otlp::KeyValueList* list = out->mutable_kvlist_value();
      return ForEachField(fv, key, [&](std::string_view k, simdjson::ondemand::value values) {
        if (k != "values") return Status::Ok();
        return ReadKeyValues(values, depth + 1, list->mutable_values());
      });
    }
    return Status::Ok();
  });
}

Status ReadResource(simdjson::ondemand::value v, otlp::Resource* out) {
  return ForEachField(v, "resource", [&](std::string_view key, simdjson::ondemand::value fv) {
    if (key != "attributes") return Status::Ok();
    return ReadKeyValues(fv, 0, out->mutable_attributes());
  });
}

std::string AsString(const otlp::AnyValue& v) {
  switch (v.value_case()) {
    case otlp::AnyValue::kStringValue:
      return v.string_value();
    case otlp::AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case otlp::AnyValue::kIntValue:
      return std::to_string(v.int_value());
    case otlp::AnyValue::kDoubleValue:
      return FormatAttributeFloat(v.double_value());
    case otlp::AnyValue::kBytesValue:
      return Base64Encode(v.bytes_value());
    case otlp::AnyValue::VALUE_NOT_SET:
      return "";
    case otlp::AnyValue::kArrayValue:
    case otlp::AnyValue::kKvlistValue:
      break;
  }
  std::string out;
  AppendJsonValue(&out, v);
  return out;
}

std::string PartialSuccessJson(std::string_view rejected_key, int64_t rejected,
                               std::string_view error_message) {
  if (rejected == 0 && error_message.empty()) return "{}";
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("partialSuccess");
  w.BeginObject();
  w.Key(rejected_key);
  w.String(std::to_string(rejected));
  w.Key("errorMessage");
  w.String(error_message);
  w.EndObject();
  w.EndObject();
  return out;
}

}  // namespace sluice::pipeline::otlp_json
